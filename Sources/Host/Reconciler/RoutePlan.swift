import RouteModel

/// The outcome of `plan(...)`: what to write, what to leave, and why.
///
/// Actions are ordered for applying: failovers first, then the other writes, then the rest; within
/// each group by CIDR, then route table id (CIDR-wide actions before table ones).
///
/// An apply layer walks `actions`, performs the ones whose `verb.writes` is true (CreateRoute or
/// ReplaceRoute with `newTarget.networkInterfaceId`, DeleteRoute), logs the rest. Write-ahead:
/// it persists `ledgerWithIntents` before the first write, and `nextLedger(succeeded:)` after.
public struct RoutePlan: Sendable {
    public internal(set) var actions: [RouteAction]
    public internal(set) var notes: [PlanNote]
    /// True when the plan holds everything (no spec, observation or first health round yet, no
    /// spec router in the VPC, or no table to manage): it contains only `hold` actions.
    public let isHeld: Bool
    /// The tables this plan manages, in id order (empty when held).
    public let managedTableIds: [String]
    /// The router chosen for each spec CIDR that has an eligible one.
    public internal(set) var chosenTargets: [IPCIDR: RouteTarget]
    /// For each spec CIDR whose routers are in order of preference: preferred router, carrier and why.
    public let preferences: [IPCIDR: PreferenceChoice]

    /// The ownership ledger this plan was made from, as its observation shows it: version 1
    /// entries upgraded, routes no longer where vpcrouter wrote them dropped. Unchanged when held.
    public internal(set) var ledger: OwnershipLedger

    /// `--prefix-lists` (or lists left from it): what to do with vpcrouter's prefix lists and the
    /// routes to them, in apply order (failovers, list writes, other route writes, the rest).
    public internal(set) var prefixListActions: [PrefixListAction] = []
    /// Each managed table's route quota use, counting prefix lists as their maximum entries.
    public internal(set) var tableQuota: [TableQuotaUse] = []
    /// True when some step waits for this plan's writes to be observed (an entry added before it
    /// leaves another list, a list routed before per-CIDR routes go): plan again once they show.
    public internal(set) var awaitsFollowUp = false

    /// The prefix-list actions an apply layer must perform.
    public var prefixListWrites: [PrefixListAction] { prefixListActions.filter { $0.verb.writes } }

    /// The plan with the prefix-list planner's outcome in place of its per-CIDR actions and ledger.
    func with(_ result: PrefixListPlanner.Result) -> RoutePlan {
        var next = self
        next.actions = result.routeActions
        next.notes += result.notes
        next.ledger = result.ledger
        next.prefixListActions = result.actions
        next.tableQuota = result.quota
        next.awaitsFollowUp = result.awaitsFollowUp
        next.chosenTargets.merge(result.chosenTargets) { _, group in group }
        return next
    }

    init(held actions: [RouteAction], notes: [PlanNote], ledger: OwnershipLedger) {
        self.actions = actions
        self.notes = notes
        isHeld = true
        managedTableIds = []
        chosenTargets = [:]
        preferences = [:]
        self.ledger = ledger
    }

    init(actions: [RouteAction], notes: [PlanNote], chosenTargets: [IPCIDR: RouteTarget],
         preferences: [IPCIDR: PreferenceChoice] = [:], managedTableIds: [String], ledger: OwnershipLedger) {
        self.actions = actions
        self.notes = notes
        isHeld = false
        self.managedTableIds = managedTableIds
        self.chosenTargets = chosenTargets
        self.preferences = preferences
        self.ledger = ledger
    }

    /// When a route held on a backup may move back to a preferred router if that router stays
    /// healthy: the soonest such time from now, or nil. Planning again then moves it.
    public var nextFailBackCheck: Duration? {
        preferences.values.compactMap(\.failBackDueIn).min()
    }

    /// The actions an apply layer must perform.
    public var writes: [RouteAction] { actions.filter { $0.verb.writes } }

    public var failovers: [RouteAction] { actions.filter(\.isFailover) }

    /// `ledger` plus every route the plan keeps on the chosen router of a spec CIDR in a managed
    /// table: the spec makes those vpcrouter's, so they are recorded even when another process
    /// wrote them (a previous leader, a run whose state directory was lost) and are cleaned up
    /// when their CIDR leaves the spec.
    public var ledgerAdoptingKeptRoutes: OwnershipLedger {
        var adopted: [OwnedRoute] = []
        for action in actions where action.verb == .keep && action.reasonCode == .onChosenRouter {
            guard let tableId = action.tableId, let eni = action.oldTarget?.networkInterfaceId else { continue }
            let route = OwnedRoute(tableId: tableId, cidr: action.cidr, networkInterfaceId: eni)
            if !ledger.contains(route) { adopted.append(route) }
        }
        return adopted.isEmpty ? ledger : ledger.adding(adopted)
    }

    /// The ledger to persist before the writes: every route they may create or repoint is recorded
    /// first, so a crash between a write and the next save forgets nothing.
    public var ledgerWithIntents: OwnershipLedger { ledger.recordingIntents(writes) }

    /// The ledger to persist after an apply, given the write actions that succeeded (a DeleteRoute
    /// answered "route not found" counts as succeeded). Intents of failed writes stay until an
    /// observation shows whether they happened.
    public func nextLedger(succeeded: some Sequence<RouteAction>) -> OwnershipLedger {
        ledgerWithIntents.confirming(succeeded)
    }

    /// The ledger to persist when every write succeeded.
    public var nextLedgerIfAllSucceed: OwnershipLedger { nextLedger(succeeded: writes) }
}
