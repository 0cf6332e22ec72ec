/// The thresholds that turn per-round verdicts into a router's condition.
public struct HealthPolicy: Sendable, Hashable {
    /// How often rounds run; also the base of the default hold-down.
    public var interval: Duration
    /// Consecutive failed rounds before a router counts as failed (at least 1).
    public var fall: Int
    /// Consecutive healthy rounds a failed router needs before it is eligible again (at least 1).
    public var rise: Int
    /// Minimum time between a failed router's last failed round and its return to service.
    public var holdDown: Duration

    /// `holdDown` defaults to 10 × `interval`, the original's "failed for about 10 intervals".
    public init(interval: Duration, fall: Int = 1, rise: Int = 2, holdDown: Duration? = nil) throws(HealthPolicyError) {
        guard interval > .zero else {
            throw HealthPolicyError(problem: "interval must be positive, got \(interval)")
        }
        guard fall >= 1 else {
            throw HealthPolicyError(problem: "fall must be at least 1, got \(fall)")
        }
        guard rise >= 1 else {
            throw HealthPolicyError(problem: "rise must be at least 1, got \(rise)")
        }
        let resolvedHoldDown = holdDown ?? interval * 10
        guard resolvedHoldDown >= .zero else {
            throw HealthPolicyError(problem: "hold-down must not be negative, got \(resolvedHoldDown)")
        }
        self.interval = interval
        self.fall = fall
        self.rise = rise
        self.holdDown = resolvedHoldDown
    }
}

/// A policy value that cannot work.
public struct HealthPolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    public let problem: String

    public var description: String {
        "invalid health policy: \(problem)"
    }
}
