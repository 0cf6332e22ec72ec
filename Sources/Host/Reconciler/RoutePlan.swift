import RouteModel

/// The outcome of `plan(...)`: what to write, what to leave, and why.
///
/// Actions are ordered for applying: failovers first, then the other writes, then the rest; within
/// each group by CIDR, then route table id (CIDR-wide actions before table ones).
///
/// An apply layer walks `actions`, performs the ones whose `verb.writes` is true (CreateRoute or
/// ReplaceRoute with `newTarget.networkInterfaceId`, DeleteRoute), logs the rest, and afterwards
/// persists `nextLedger(succeeded:)` with the write actions that EC2 confirmed.
public struct RoutePlan: Sendable {
    public let actions: [RouteAction]
    public let notes: [PlanNote]
    /// True when the plan holds everything (no spec, observation or first health round yet, no
    /// spec router in the VPC, or no table to manage): it contains only `hold` actions.
    public let isHeld: Bool
    /// The tables this plan manages, in id order (empty when held).
    public let managedTableIds: [String]
    /// The router chosen for each spec CIDR that has an eligible one.
    public let chosenTargets: [IPv4CIDR: RouteTarget]

    private let previousLedger: OwnershipLedger
    /// CIDRs that stay owned whatever the apply does.
    private let retainedCIDRs: Set<IPv4CIDR>

    init(held actions: [RouteAction], notes: [PlanNote], ledger: OwnershipLedger) {
        self.actions = actions
        self.notes = notes
        isHeld = true
        managedTableIds = []
        chosenTargets = [:]
        previousLedger = ledger
        retainedCIDRs = ledger.cidrs
    }

    init(actions: [RouteAction], notes: [PlanNote], chosenTargets: [IPv4CIDR: RouteTarget],
         managedTableIds: [String], spec: RouteSpec, ledger: OwnershipLedger, policy: ReconcilePolicy) {
        self.actions = actions
        self.notes = notes
        isHeld = false
        self.managedTableIds = managedTableIds
        self.chosenTargets = chosenTargets
        previousLedger = ledger
        var retained = Set<IPv4CIDR>()
        for (cidr, routers) in spec.routes where !routers.isEmpty && policy.ignoreEntry(covering: cidr) == nil {
            retained.insert(cidr)
        }
        // An ignored CIDR is never touched, so ownership of it is neither gained nor given up.
        for cidr in ledger.cidrs where policy.ignoreEntry(covering: cidr) != nil { retained.insert(cidr) }
        retainedCIDRs = retained
    }

    /// The actions an apply layer must perform.
    public var writes: [RouteAction] { actions.filter { $0.verb.writes } }

    public var failovers: [RouteAction] { actions.filter(\.isFailover) }

    /// The ledger to persist after an apply: the managed CIDRs (spec CIDRs with routers) plus the
    /// owned CIDRs whose deletion is not confirmed yet. Pass the write actions that succeeded
    /// (a DeleteRoute answered "route not found" counts as succeeded). A held plan changes nothing.
    public func nextLedger(succeeded: some Sequence<RouteAction>) -> OwnershipLedger {
        if isHeld { return previousLedger }
        let confirmed = Set(succeeded.filter { $0.verb == .delete })
        var next = retainedCIDRs
        for action in actions where action.verb == .delete && !confirmed.contains(action) {
            // Unowned routes deleted by the opt-in flag never become owned.
            if action.reasonCode != .unownedDeletionEnabled { next.insert(action.cidr) }
        }
        return OwnershipLedger(next)
    }

    /// The ledger to persist when every write succeeded.
    public var nextLedgerIfAllSucceed: OwnershipLedger { nextLedger(succeeded: writes) }
}
