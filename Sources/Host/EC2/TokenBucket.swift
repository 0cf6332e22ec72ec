/// A token bucket as EC2 describes its own throttling: `capacity` burst, `refillPerSecond` sustained.
/// Pure value type; the caller supplies the time.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let refillPerSecond: Double
    public private(set) var tokens: Double
    private var lastRefill: Duration

    public init(capacity: Double, refillPerSecond: Double, now: Duration) {
        precondition(capacity >= 1 && refillPerSecond > 0, "a bucket needs room for one token and a refill rate")
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
        self.lastRefill = now
    }

    public mutating func refill(now: Duration) {
        guard now > lastRefill else { return }
        tokens = min(capacity, tokens + (now - lastRefill).seconds * refillPerSecond)
        lastRefill = now
    }

    /// Takes a token if one is there.
    public mutating func tryTake(now: Duration) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// How long until a whole token is available (zero if one is).
    public func timeUntilToken(now: Duration) -> Duration {
        var copy = self
        copy.refill(now: now)
        if copy.tokens >= 1 { return .zero }
        let missing = 1 - copy.tokens
        // Round up to a microsecond so the wake-up never lands just short of the token.
        return .microseconds(Int64((missing / refillPerSecond * 1_000_000).rounded(.up)) + 1)
    }
}
