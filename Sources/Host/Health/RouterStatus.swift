import RouteModel

/// Everything the policy knows about one router, for status output and decisions.
public struct RouterStatus: Sendable, Hashable {
    public let router: IPAddress
    public internal(set) var condition: RouterCondition
    /// When the current condition began.
    public internal(set) var since: MonotonicTime
    public internal(set) var consecutiveFailedRounds: Int = 0
    public internal(set) var consecutiveHealthyRounds: Int = 0
    /// The last verdict other than `unknown`, and when it came.
    public internal(set) var lastVerdict: HealthVerdict = .unknown
    public internal(set) var lastVerdictAt: MonotonicTime?
    /// The end of the last round that said `failed`; the hold-down counts from here.
    public internal(set) var lastFailedAt: MonotonicTime?
    /// True once the policy has judged the router healthy; never reset while it stays a target.
    public internal(set) var wasHealthy = false
    /// The round-trip time of the last answered check a plugin measured (none after a failed one).
    public internal(set) var lastRoundTripTime: Duration?

    init(router: IPAddress, since: MonotonicTime) {
        self.router = router
        self.condition = .unknown
        self.since = since
    }
}
