/// Exponential backoff with full jitter, capped in delay and attempts (the AWS SDK "standard" shape).
public struct RetryPolicy: Sendable, Equatable {
    /// Total attempts including the first.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Upper bound of the delay before retry number `retry` (1-based): min(cap, base * 2^(retry-1)).
    public func ceiling(forRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let grown = baseDelay * (1 << exponent)
        return min(grown, maxDelay)
    }

    /// A uniformly random delay in [0, ceiling]; `unitRandom` in [0, 1] is injectable for tests.
    public func delay(forRetry retry: Int, unitRandom: Double = Double.random(in: 0...1)) -> Duration {
        ceiling(forRetry: retry) * min(max(unitRandom, 0), 1)
    }
}
