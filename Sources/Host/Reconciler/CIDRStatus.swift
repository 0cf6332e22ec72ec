import RouteModel

/// What the status page shows for one CIDR after a plan: where it points, in which tables, and
/// what the planner last decided and why.
public struct CIDRStatus: Equatable, Sendable {
    public var cidr: IPCIDR
    /// The routers the spec lists for it (empty: the spec asks for removal; nil: not in the spec).
    public var routers: [IPAddress]?
    /// The router the plan chose, or else the target observed in the first managed table.
    public var target: RouteTarget?
    /// Managed tables that hold the route or are about to.
    public var tableIds: [String]
    /// The plan's most significant action for this CIDR (a write before a keep).
    public var lastAction: RouteAction.Verb?
    public var reason: String?
    public var notes: [String]
    /// For a CIDR whose routers are in order of preference: the preferred router, the carrier, why.
    public var preference: PreferenceChoice?

    public init(cidr: IPCIDR, routers: [IPAddress]?, target: RouteTarget?, tableIds: [String],
                lastAction: RouteAction.Verb?, reason: String?, notes: [String], preference: PreferenceChoice? = nil) {
        self.cidr = cidr
        self.routers = routers
        self.target = target
        self.tableIds = tableIds
        self.lastAction = lastAction
        self.reason = reason
        self.notes = notes
        self.preference = preference
    }
}
