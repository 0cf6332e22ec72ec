/// The health of every router at one moment: what the health policy publishes and what the
/// planner plans with.
///
/// Level-triggered: the snapshot holds the current condition of each router, not the latest
/// events, so every plan sees a failed router as failed until the policy clears it.
public struct HealthSnapshot: Sendable, Hashable {
    /// The condition of each router the policy tracks (every router of the spec in force).
    public var conditions: [IPv4Address: RouterCondition]
    /// Routers never judged healthy. Suspect or questionable ones among them (and `unknown` ones)
    /// rank below every router that has been, so an unproven router never gets a new route while a
    /// proven one is usable.
    public var neverHealthy: Set<IPv4Address>
    /// False until the health policy has finished its first round over the spec's routers;
    /// until then the planner holds.
    public var firstRoundCompleted: Bool
    /// When each healthy router became healthy, on the host's monotonic clock: a failed,
    /// suspect or questionable round ends the stretch, and the next healthy one starts a new one.
    /// Fail-back waits until a preferred router has been healthy for the hold time.
    public var healthySince: [IPv4Address: MonotonicTime]
    /// The moment the snapshot is read for a plan, on the same clock: how long a router has been
    /// healthy is measured up to here. Nil: unknown, and no router counts as healthy for long.
    public var time: MonotonicTime?

    public init(_ conditions: [IPv4Address: RouterCondition] = [:], neverHealthy: Set<IPv4Address> = [],
                firstRoundCompleted: Bool = true, healthySince: [IPv4Address: MonotonicTime] = [:], time: MonotonicTime? = nil) {
        self.conditions = conditions
        self.neverHealthy = neverHealthy
        self.firstRoundCompleted = firstRoundCompleted
        self.healthySince = healthySince
        self.time = time
    }

    /// How long `router` has been healthy without a break up to `time`; nil when it is not
    /// healthy now or either end is unknown.
    public func healthyDuration(of router: IPv4Address) -> Duration? {
        guard condition(of: router) == .healthy, let since = healthySince[router], let time else { return nil }
        return max(time - since, .zero)
    }

    /// A router missing from the snapshot is `unknown`.
    public func condition(of router: IPv4Address) -> RouterCondition {
        conditions[router] ?? .unknown
    }

    /// The tracked routers in `condition`.
    public func routers(in condition: RouterCondition) -> Set<IPv4Address> {
        Set(conditions.lazy.filter { $0.value == condition }.map(\.key))
    }

    public var failed: Set<IPv4Address> { routers(in: .failed) }
    public var questionable: Set<IPv4Address> { routers(in: .questionable) }
    /// Part way to `fall`: they keep their routes but are not picked while a healthy router exists.
    public var suspect: Set<IPv4Address> { routers(in: .suspect) }
    public var healthy: Set<IPv4Address> { routers(in: .healthy) }
    /// Tracked routers without a verdict yet; they are not failed, so they are eligible.
    public var unknown: Set<IPv4Address> { routers(in: .unknown) }

    /// Tracked routers that may carry a route: everything not failed.
    public var eligible: Set<IPv4Address> {
        Set(conditions.lazy.filter { $0.value != .failed }.map(\.key))
    }
}
