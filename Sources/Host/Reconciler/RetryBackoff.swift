/// When to try again after a pass whose read or writes failed: capped exponential backoff,
/// independent of the periodic recheck (which may be off). The first retry comes after `initial`,
/// each further one after twice the previous delay, never more than `maximum`; a pass that
/// succeeds resets it.
public struct RetryBackoff: Sendable, Hashable {
    public let initial: Duration
    public let maximum: Duration
    /// Failed passes in a row.
    public private(set) var failures = 0
    /// The delay before the retry now pending, nil when none is.
    public private(set) var pendingDelay: Duration?

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30)) {
        precondition(initial > .zero && maximum >= initial, "backoff delays must be positive and the cap at least the first")
        self.initial = initial
        self.maximum = maximum
    }

    /// Records a failed pass; returns the delay before the retry.
    public mutating func failed() -> Duration {
        failures += 1
        // 2^30 times any sensible first delay is past any sensible cap; stopping there avoids overflow.
        let doublings = min(failures - 1, 30)
        let capped = min(initial * (1 << doublings), maximum)
        pendingDelay = capped
        return capped
    }

    /// Records a pass that read and wrote everything it had to; no retry is pending any more.
    public mutating func succeeded() {
        failures = 0
        pendingDelay = nil
    }
}
