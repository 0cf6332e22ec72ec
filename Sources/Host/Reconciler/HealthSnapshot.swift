import RouteModel

/// The health of every router at one moment, as the health policy sees it.
///
/// Level-triggered: the snapshot holds the current state of each router, not the latest events,
/// so every plan sees a failed router as failed until the policy clears it.
public struct HealthSnapshot: Equatable, Sendable {
    public enum Status: String, Equatable, Sendable, CaseIterable {
        case healthy
        /// Suspect but not failed; a route on it moves only if a healthy router is available.
        case questionable
        case failed
        /// Not probed yet (a router new to the spec, for example).
        case unknown
    }

    public var statuses: [IPv4Address: Status]
    /// False until the health policy has finished its first round over the spec's routers;
    /// until then the planner holds.
    public var firstRoundCompleted: Bool

    public init(_ statuses: [IPv4Address: Status] = [:], firstRoundCompleted: Bool = true) {
        self.statuses = statuses
        self.firstRoundCompleted = firstRoundCompleted
    }

    /// A router missing from the snapshot is `unknown`.
    public func status(of router: IPv4Address) -> Status {
        statuses[router] ?? .unknown
    }
}
