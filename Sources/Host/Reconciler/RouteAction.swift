import RouteModel

/// One decision of a plan about one CIDR in one route table (or, for `ignore` and `hold`, about a
/// CIDR as a whole when `tableId` is nil).
public struct RouteAction: Hashable, Sendable, CustomStringConvertible {
    public enum Verb: String, Hashable, Sendable, CaseIterable {
        /// CreateRoute to `newTarget` (fall back to ReplaceRoute if it already exists).
        case create
        /// ReplaceRoute to `newTarget` (fall back to CreateRoute if it has vanished).
        case replace
        /// DeleteRoute (a route already gone counts as deleted).
        case delete
        /// The route is as it should be, or must stay as it is; nothing to write.
        case keep
        /// Never touched: inside an ignored CIDR, or a route to a target vpcrouter does not manage.
        case ignore
        /// Nothing may change yet (no spec, observation or first health round, or no router found).
        case hold

        /// True for the verbs an apply layer turns into EC2 writes.
        public var writes: Bool { self == .create || self == .replace || self == .delete }
    }

    /// Why the planner decided what it did. Compact on purpose (a plan can hold hundreds of
    /// thousands of actions); `RouteAction.reason` renders the text with the targets.
    public enum Reason: Hashable, Sendable {
        case onChosenRouter
        case noEligibleRouter
        case missing
        case routerFailed
        case routerQuestionable
        case blackhole
        case interfaceGone
        case instanceGone
        case interfaceDetached
        case instanceNotRunning(ObservedNetworkInterface.InstanceState)
        case attachmentMoved
        case unlistedRouter
        case instanceTarget
        case convergeWithOtherTables
        /// Back to a router listed before the current one (order of preference), which has been
        /// healthy for the fail-back hold time.
        case failBack
        case removalRequested
        case removedFromSpec
        /// An owned route in a table this plan does not manage.
        case tableNotManaged
        /// A route vpcrouter wrote that now points elsewhere: someone else's now.
        case notWhereWritten
        case unownedDeletionEnabled
        case ignoredByPolicy(IPCIDR)
        case foreignTarget
        case noSpec
        case noObservation
        case noFirstHealthRound
        case noRouterInVPC
        case noManagedTables
        /// `--prefix-lists`: the CIDR's prefix list, with a route in this table, carries it.
        case coveredByPrefixList
    }

    public var cidr: IPCIDR
    /// nil for a CIDR-wide `ignore` or `hold`.
    public var tableId: String?
    public var oldTarget: RouteTarget?
    public var newTarget: RouteTarget?
    public var reasonCode: Reason
    public var verb: Verb
    /// True when the route's current target cannot carry traffic (its router failed, the route is
    /// a blackhole, the ENI is gone or its instance is down): these are applied first.
    public var isFailover: Bool

    public init(
        _ verb: Verb, tableId: String?, cidr: IPCIDR, oldTarget: RouteTarget? = nil,
        newTarget: RouteTarget? = nil, isFailover: Bool = false, reason: Reason
    ) {
        self.verb = verb
        self.tableId = tableId
        self.cidr = cidr
        self.oldTarget = oldTarget
        self.newTarget = newTarget
        self.isFailover = isFailover
        self.reasonCode = reason
    }

    /// True for a move away from a router the health checks judged failed or questionable: it
    /// depends only on health and the route's last known target, so it may be written before the
    /// VPC is read again.
    public var followsHealthChange: Bool {
        switch reasonCode {
        case .routerFailed, .routerQuestionable: return verb == .replace
        default: return false
        }
    }

    /// The reason in words, for logs and the status page.
    public var reason: String {
        let old = oldTarget.map(\.description) ?? "(none)"
        let oldInterface = oldTarget?.networkInterfaceId ?? old
        let newRouter = newTarget?.routerAddress.map(\.description) ?? newTarget?.description ?? "(none)"
        switch reasonCode {
        case .onChosenRouter: return "already points at the chosen router"
        case .noEligibleRouter: return "no eligible router; left as it is"
        case .missing: return "route missing"
        case .routerFailed:
            return "router \(oldTarget?.routerAddress.map(\.description) ?? old) failed"
        case .routerQuestionable:
            return "router \(oldTarget?.routerAddress.map(\.description) ?? old) is questionable and a healthier router is available"
        case .blackhole: return "the route is a blackhole"
        case .interfaceGone: return "network interface \(oldInterface) no longer exists"
        case .instanceGone: return "instance \(oldTarget?.instanceId ?? old) is not in the VPC any more"
        case .interfaceDetached: return "network interface \(oldInterface) is not attached to an instance"
        case .instanceNotRunning(let state):
            return "instance \(oldTarget?.instanceId ?? "(unknown)") is \(state.rawValue)"
        case .attachmentMoved:
            return "network interface \(oldInterface) is no longer attached to \(oldTarget?.instanceId ?? "(unknown)")"
        case .unlistedRouter: return "the current target \(old) is not a router listed for this CIDR"
        case .instanceTarget:
            return "the route targets instance \(oldTarget?.instanceId ?? old); targeting its network interface instead"
        case .convergeWithOtherTables: return "other route tables use router \(newRouter); every table gets the same router"
        case .failBack:
            return "fail-back: router \(newRouter) comes before \(oldTarget?.routerAddress.map(\.description) ?? old) in the order of preference "
                + "and has been healthy for the hold time"
        case .removalRequested: return "the spec lists no routers for this CIDR"
        case .removedFromSpec: return "written by vpcrouter and no longer in the spec"
        case .tableNotManaged: return "written by vpcrouter in a route table it does not manage now; kept on the CIDR's router"
        case .notWhereWritten:
            return "the route now targets \(old), not what vpcrouter wrote; someone else's, left alone"
        case .unownedDeletionEnabled: return "not in the spec and deleteUnownedRoutes is on"
        case .ignoredByPolicy(let entry): return "inside ignored CIDR \(entry)"
        case .foreignTarget: return "the route targets \(old), which vpcrouter does not manage"
        case .noSpec: return "holding: no route spec yet"
        case .noObservation: return "holding: the VPC has not been observed yet"
        case .noFirstHealthRound: return "holding: the first health round has not completed"
        case .noRouterInVPC: return "holding: none of the spec's routers is in the VPC"
        case .noManagedTables: return "holding: no route table to manage"
        case .coveredByPrefixList: return "the CIDR's prefix list carries it in this table; the per-CIDR route goes"
        }
    }

    public var description: String {
        var text = "\(verb.rawValue) \(cidr)"
        if let tableId { text += " in \(tableId)" }
        switch verb {
        case .create: text += " -> \(newTarget?.description ?? "(none)")"
        case .replace: text += " \(oldTarget?.description ?? "(none)") -> \(newTarget?.description ?? "(none)")"
        case .delete, .keep, .ignore, .hold: if let oldTarget { text += " -> \(oldTarget)" }
        }
        if isFailover { text += " [failover]" }
        return text + ": " + reason
    }
}
