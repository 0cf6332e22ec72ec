import RouteModel

/// A router's condition as the policy sees it, after fall, rise and hold-down are applied.
public enum RouterCondition: Sendable, Hashable, CustomStringConvertible {
    /// Not judged yet (new target, or only `unknown` verdicts so far). Not failed, so eligible.
    case unknown
    case healthy
    /// Failed its last rounds, but fewer than `fall` in a row: keeps the routes it carries (that is
    /// what `fall` is for), and is not picked as a new target while a healthy router exists.
    case suspect
    /// Usable but to be avoided, because a plugin said so: its routes move to a healthier router.
    case questionable
    /// Not eligible as a route target.
    case failed

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .healthy: "healthy"
        case .suspect: "suspect"
        case .questionable: "questionable"
        case .failed: "failed"
        }
    }
}

/// Everything the policy knows about one router, for status output and decisions.
public struct RouterStatus: Sendable, Hashable {
    public let router: IPv4Address
    public internal(set) var condition: RouterCondition
    /// When the current condition began.
    public internal(set) var since: MonotonicTime
    public internal(set) var consecutiveFailedRounds: Int = 0
    public internal(set) var consecutiveHealthyRounds: Int = 0
    /// The last verdict other than `unknown`, and when it came.
    public internal(set) var lastVerdict: ProbeVerdict = .unknown
    public internal(set) var lastVerdictAt: MonotonicTime?
    /// The end of the last round that said `failed`; the hold-down counts from here.
    public internal(set) var lastFailedAt: MonotonicTime?
    /// True once the policy has judged the router healthy; never reset while it stays a target.
    public internal(set) var wasHealthy = false
    /// The last round-trip time a plugin reported.
    public internal(set) var lastRoundTripTime: Duration?

    init(router: IPv4Address, since: MonotonicTime) {
        self.router = router
        self.condition = .unknown
        self.since = since
    }
}
