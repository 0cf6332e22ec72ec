/// A verdict with the round-trip time a plugin measured, when it measured one.
public struct ProbeResult: Sendable, Hashable {
    public var verdict: HealthVerdict
    public var roundTripTime: Duration?

    public init(_ verdict: HealthVerdict, roundTripTime: Duration? = nil) {
        self.verdict = verdict
        self.roundTripTime = roundTripTime
    }
}
