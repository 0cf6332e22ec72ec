import RouteModel

/// What the status page shows for one route table of the VPC.
public struct RouteTableStatus: Equatable, Sendable {
    /// One route the plan had an opinion about.
    public struct Entry: Equatable, Sendable {
        public var cidr: IPCIDR
        /// The observed target before the plan, nil when the route was missing.
        public var observed: RouteTarget?
        public var isBlackhole: Bool
        public var action: RouteAction.Verb
        /// The target after the plan is applied (nil for a delete).
        public var planned: RouteTarget?
        public var reason: String
        public var state: RouteState
    }

    public var id: String
    public var isMain: Bool
    /// Explicit associations plus, for the main table, the subnets that use it implicitly.
    public var subnetIds: [String]
    public var isManaged: Bool
    public var entries: [Entry]
    /// `--prefix-lists`: the table's route quota use (lists counted at their maximum entries).
    public var quota: TableQuotaUse? = nil
    /// `--prefix-lists`: the plan's action on each route to a list of vpcrouter's in this table.
    public var prefixListRoutes: [PrefixListAction] = []
}
