import RouteModel

/// The health of every router at one moment, as the health policy sees it.
///
/// Level-triggered: the snapshot holds the current state of each router, not the latest events,
/// so every plan sees a failed router as failed until the policy clears it.
public struct HealthSnapshot: Equatable, Sendable {
    public enum Status: String, Equatable, Sendable, CaseIterable {
        case healthy
        /// Failed fewer than `fall` rounds in a row: keeps the routes it carries, and is picked for
        /// a new one only after the healthy routers.
        case suspect
        /// A plugin says to avoid it; a route on it moves if a better-ranked router is available.
        case questionable
        case failed
        /// Not probed yet (a router new to the spec, for example).
        case unknown
    }

    public var statuses: [IPv4Address: Status]
    /// Suspect or questionable routers that were never judged healthy. They (and `unknown` ones)
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

    public init(_ statuses: [IPv4Address: Status] = [:], firstRoundCompleted: Bool = true, neverHealthy: Set<IPv4Address> = [],
                healthySince: [IPv4Address: MonotonicTime] = [:], time: MonotonicTime? = nil) {
        self.statuses = statuses
        self.neverHealthy = neverHealthy
        self.firstRoundCompleted = firstRoundCompleted
        self.healthySince = healthySince
        self.time = time
    }

    /// How long `router` has been healthy without a break up to `time`; nil when it is not
    /// healthy now or either end is unknown.
    public func healthyDuration(of router: IPv4Address) -> Duration? {
        guard status(of: router) == .healthy, let since = healthySince[router], let time else { return nil }
        return max(time - since, .zero)
    }

    /// A router missing from the snapshot is `unknown`.
    public func status(of router: IPv4Address) -> Status {
        statuses[router] ?? .unknown
    }
}
