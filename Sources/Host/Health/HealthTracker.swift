import RouteModel

/// Turns each probe round's verdicts into router conditions, applying the policy's fall, rise
/// and hold-down. A value type with no clock and no I/O: the daemon feeds it target lists and
/// round results with the time they happened, and reads the sets back.
///
/// Rules, per router:
/// - `failed` verdict: counts towards `fall`; at `fall` consecutive failed rounds the router is
///   failed. Before that it is suspect (a questionable router stays questionable): a lost probe or
///   two must not move a route, which is why an operator sets `fall` above 1.
/// - `healthy` verdict: a router that is not failed becomes healthy at once. A failed router
///   becomes healthy only when `holdDown` has passed since its last failed round *and* it has had
///   `rise` consecutive healthy rounds. Routes are not moved back to it (no fail-back); that is
///   the reconciler's business, this type only says it is eligible again.
/// - `questionable` verdict: a router that is not failed becomes questionable; it breaks both
///   streaks, so a failed router does not rise on questionable rounds.
/// - `unknown` verdict (or no verdict): nothing changes, not even the streaks.
public struct HealthTracker: Sendable {
    public let policy: HealthPolicy
    public private(set) var statuses: [IPAddress: RouterStatus] = [:]
    /// Increases whenever the target list changes; suits `vpcr_probe_request.generation`.
    public private(set) var targetGeneration: UInt64 = 0
    /// True once a round has been recorded (a round over no targets counts); it stays true when
    /// the targets change, so a new router waits for its verdict as `unknown`, not the whole plan.
    public private(set) var firstRoundCompleted = false

    public init(policy: HealthPolicy) {
        self.policy = policy
    }

    /// The routers to probe next round, in address order.
    public var probeTargets: [IPAddress] {
        statuses.keys.sorted()
    }

    /// What the planner plans with: each router's condition, those never judged healthy, since
    /// when the healthy ones have been healthy, and whether a round has completed. Its `time` is
    /// left for the reader to set to the moment it plans.
    public var snapshot: HealthSnapshot {
        var conditions: [IPAddress: RouterCondition] = [:]
        var neverHealthy: Set<IPAddress> = []
        for (router, status) in statuses {
            conditions[router] = status.condition
            if !status.wasHealthy { neverHealthy.insert(router) }
        }
        return HealthSnapshot(conditions, neverHealthy: neverHealthy, firstRoundCompleted: firstRoundCompleted,
                              healthySince: healthySince)
    }

    /// When each healthy router became healthy: a failed, suspect or questionable round ends the
    /// stretch, so a router that flaps never counts as healthy for longer than its last stretch.
    public var healthySince: [IPAddress: MonotonicTime] {
        statuses.compactMapValues { $0.condition == .healthy ? $0.since : nil }
    }

    public var failed: Set<IPAddress> { snapshot.failed }
    public var questionable: Set<IPAddress> { snapshot.questionable }
    public var healthy: Set<IPAddress> { snapshot.healthy }

    public func status(of router: IPAddress) -> RouterStatus? {
        statuses[router]
    }

    /// Replaces the target list (every router IP of the route spec in force). New routers start
    /// as `unknown` and are probed next round; removed ones drop out with all their state, so a
    /// router that comes back later starts afresh. `changed` is true when a failed, questionable
    /// or healthy router was removed, which the daemon may want to reconcile on.
    @discardableResult
    public mutating func updateTargets(_ routers: some Sequence<IPAddress>, at now: MonotonicTime) -> HealthRoundOutcome {
        let before = judged
        let wanted = Set(routers)
        let current = Set(statuses.keys)
        guard wanted != current else {
            return HealthRoundOutcome(changed: false, snapshot: snapshot, transitions: [])
        }
        for removed in current.subtracting(wanted) {
            statuses[removed] = nil
        }
        for added in wanted.subtracting(current) {
            statuses[added] = RouterStatus(router: added, since: now)
        }
        targetGeneration += 1
        return HealthRoundOutcome(changed: judged != before, snapshot: snapshot, transitions: [])
    }

    /// Applies one finished round. Verdicts for routers that are no longer targets are ignored
    /// (the list changed while the round ran); targets without a verdict count as `unknown`.
    @discardableResult
    public mutating func recordRound(_ results: [IPAddress: ProbeResult], at now: MonotonicTime) -> HealthRoundOutcome {
        firstRoundCompleted = true
        var transitions: [RouterTransition] = []
        for (router, result) in results {
            guard var status = statuses[router] else { continue }
            let previous = status.condition
            apply(result, to: &status, at: now)
            if status.condition != previous {
                status.since = now
                transitions.append(RouterTransition(router: router, from: previous, to: status.condition))
            }
            statuses[router] = status
        }
        transitions.sort { $0.router < $1.router }
        return HealthRoundOutcome(changed: transitions.contains(where: \.canChangeRoutes), snapshot: snapshot, transitions: transitions)
    }

    /// The routers that have a condition other than `unknown`: removing one of them can move a
    /// route, adding a router (which starts unknown) cannot.
    private var judged: [IPAddress: RouterCondition] {
        statuses.compactMapValues { $0.condition == .unknown ? nil : $0.condition }
    }

    private func apply(_ result: ProbeResult, to status: inout RouterStatus, at now: MonotonicTime) {
        // The last answered check's round trip: a failed one has none to show.
        if let rtt = result.roundTripTime {
            status.lastRoundTripTime = rtt
        } else if result.verdict == .failed {
            status.lastRoundTripTime = nil
        }
        guard result.verdict != .unknown else { return }
        status.lastVerdict = result.verdict
        status.lastVerdictAt = now

        switch result.verdict {
        case .unknown:
            return
        case .failed:
            status.consecutiveFailedRounds += 1
            status.consecutiveHealthyRounds = 0
            status.lastFailedAt = now
            if status.consecutiveFailedRounds >= policy.fall {
                status.condition = .failed
            } else if status.condition != .failed && status.condition != .questionable {
                status.condition = .suspect
            }
        case .questionable:
            status.consecutiveFailedRounds = 0
            status.consecutiveHealthyRounds = 0
            if status.condition != .failed {
                status.condition = .questionable
            }
        case .healthy:
            status.consecutiveFailedRounds = 0
            status.consecutiveHealthyRounds += 1
            if status.condition == .failed {
                let heldDownLongEnough = status.lastFailedAt.map { now - $0 >= policy.holdDown } ?? true
                if heldDownLongEnough && status.consecutiveHealthyRounds >= policy.rise {
                    status.condition = .healthy
                }
            } else {
                status.condition = .healthy
            }
            if status.condition == .healthy { status.wasHealthy = true }
        }
    }
}

/// A router whose condition changed in a round.
public struct RouterTransition: Sendable, Hashable, CustomStringConvertible {
    public let router: IPAddress
    public let from: RouterCondition
    public let to: RouterCondition

    public init(router: IPAddress, from: RouterCondition, to: RouterCondition) {
        self.router = router
        self.from = from
        self.to = to
    }

    public var description: String {
        "\(router): \(from) -> \(to)"
    }

    /// False for a router wavering between healthy and suspect: no route leaves a suspect router,
    /// so on a lossy link such rounds need no reconcile (the periodic one still sees them).
    public var canChangeRoutes: Bool {
        let wavering: Set<RouterCondition> = [.healthy, .suspect]
        return !(wavering.contains(from) && wavering.contains(to))
    }
}

/// The result of applying a round or a target change.
public struct HealthRoundOutcome: Sendable, Hashable {
    /// True when a router changed condition in a way that can move a route (not between healthy
    /// and suspect): the daemon should reconcile now, not wait.
    public let changed: Bool
    public let snapshot: HealthSnapshot
    public let transitions: [RouterTransition]
}
