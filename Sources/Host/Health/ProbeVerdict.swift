/// What one probe round said about one router. Mirrors the ABI's `vpcr_verdict` so the policy
/// needs no C types; the daemon maps one to the other.
public enum ProbeVerdict: Sendable, Hashable, CustomStringConvertible {
    /// No opinion this round: the router keeps its previous state and counters.
    case unknown
    case healthy
    /// Usable, but to be avoided while a healthy router exists.
    case questionable
    case failed

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .healthy: "healthy"
        case .questionable: "questionable"
        case .failed: "failed"
        }
    }
}

/// A verdict with the round-trip time a plugin measured, when it measured one.
public struct ProbeResult: Sendable, Hashable {
    public var verdict: ProbeVerdict
    public var roundTripTime: Duration?

    public init(_ verdict: ProbeVerdict, roundTripTime: Duration? = nil) {
        self.verdict = verdict
        self.roundTripTime = roundTripTime
    }
}
