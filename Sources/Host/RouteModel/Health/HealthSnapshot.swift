/// The health of every router at one moment: what the health policy publishes and what the
/// planner plans with.
///
/// Level-triggered: the snapshot holds the current condition of each router, not the latest
/// events, so every plan sees a failed router as failed until the policy clears it.
public struct HealthSnapshot: Sendable, Hashable {
    /// The condition of each router the policy tracks (every router of the spec in force).
    public var conditions: [IPAddress: RouterCondition]
    /// Routers never judged healthy. Suspect or questionable ones among them (and `unknown` ones)
    /// rank below every router that has been, so an unproven router never gets a new route while a
    /// proven one is usable.
    public var neverHealthy: Set<IPAddress>
    /// False until the health policy has finished its first round over the spec's routers;
    /// until then the planner holds.
    public var firstRoundCompleted: Bool
    /// When each healthy router became healthy, on the host's monotonic clock: a failed,
    /// suspect or questionable round ends the stretch, and the next healthy one starts a new one.
    /// Fail-back waits until a preferred router has been healthy for the hold time.
    public var healthySince: [IPAddress: MonotonicTime]
    /// The moment the snapshot is read for a plan, on the same clock: how long a router has been
    /// healthy is measured up to here. Nil: unknown, and no router counts as healthy for long.
    public var time: MonotonicTime?

    public init(_ conditions: [IPAddress: RouterCondition] = [:], neverHealthy: Set<IPAddress> = [],
                firstRoundCompleted: Bool = true, healthySince: [IPAddress: MonotonicTime] = [:], time: MonotonicTime? = nil) {
        self.conditions = conditions
        self.neverHealthy = neverHealthy
        self.firstRoundCompleted = firstRoundCompleted
        self.healthySince = healthySince
        self.time = time
    }

    /// How long `router` has been healthy without a break up to `time`; nil when it is not
    /// healthy now or either end is unknown.
    public func healthyDuration(of router: IPAddress) -> Duration? {
        guard condition(of: router) == .healthy, let since = healthySince[router], let time else { return nil }
        return max(time - since, .zero)
    }

    /// A router missing from the snapshot is `unknown`.
    public func condition(of router: IPAddress) -> RouterCondition {
        conditions[router] ?? .unknown
    }

    /// The tracked routers in `condition`.
    public func routers(in condition: RouterCondition) -> Set<IPAddress> {
        Set(conditions.lazy.filter { $0.value == condition }.map(\.key))
    }

    public var failed: Set<IPAddress> { routers(in: .failed) }
    public var questionable: Set<IPAddress> { routers(in: .questionable) }
    /// Part way to `fall`: they keep their routes but are not picked while a healthy router exists.
    public var suspect: Set<IPAddress> { routers(in: .suspect) }
    public var healthy: Set<IPAddress> { routers(in: .healthy) }
    /// Tracked routers without a verdict yet; they are not failed, so they are eligible.
    public var unknown: Set<IPAddress> { routers(in: .unknown) }

    /// Tracked routers that may carry a route: everything not failed.
    public var eligible: Set<IPAddress> {
        Set(conditions.lazy.filter { $0.value != .failed }.map(\.key))
    }
}
