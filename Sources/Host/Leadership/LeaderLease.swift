/// Whether this replica may write routes, decided from its etcd lease and its own monotonic clock
/// alone. A pure value: the election service feeds it what etcd answered and when the request was
/// sent, and asks it at a given instant.
///
/// The lease cannot expire on etcd before `TTL` has passed since the request that granted or
/// renewed it was *sent* (etcd starts the TTL when it handles the request, which is later). So the
/// replica stops writing at `sent + TTL - safetyMargin`, strictly before etcd can let another
/// replica take the key, however long the replica was paused, partitioned or starved.
public struct LeaderLease: Sendable, Equatable {
    public enum Role: String, Sendable {
        case leader, follower
    }

    /// How long before the earliest possible expiry on etcd the replica stops writing; covers a
    /// route write already in flight and a difference in clock rates.
    public let safetyMargin: Duration
    /// The last instant this replica may start a write; nil while it holds no lease.
    public private(set) var writableUntil: ContinuousClock.Instant?

    public init(safetyMargin: Duration) {
        self.safetyMargin = safetyMargin
    }

    /// The margin for a lease TTL: a fifth of it, at least 200 ms, never more than half of it.
    public static func safetyMargin(forTTL ttl: Duration) -> Duration {
        min(max(ttl / 5, .milliseconds(200)), ttl / 2)
    }

    /// This replica created the leader key with a lease granted by a request sent at `sentAt`
    /// with the TTL etcd answered.
    public mutating func won(ttl: Duration, grantSentAt sentAt: ContinuousClock.Instant) {
        writableUntil = sentAt + ttl - safetyMargin
    }

    /// etcd renewed the lease (a keepalive sent at `sentAt` answered with `ttl`). A renewal of a
    /// lease that had already run out locally is refused: the replica stopped writing at its
    /// deadline and must campaign again. Returns whether the lease was extended.
    @discardableResult
    public mutating func renewed(ttl: Duration, sentAt: ContinuousClock.Instant) -> Bool {
        guard let current = writableUntil, (sentAt < current), (ttl > .zero) else { return false }
        writableUntil = max(current, sentAt + ttl - safetyMargin)
        return true
    }

    /// The lease is gone (etcd said so, the key belongs to another, or this replica gave up).
    public mutating func lost() {
        writableUntil = nil
    }

    public func mayWrite(at now: ContinuousClock.Instant) -> Bool {
        guard let writableUntil else { return false }
        return now < writableUntil
    }

    public func role(at now: ContinuousClock.Instant) -> Role {
        mayWrite(at: now) ? .leader : .follower
    }

    /// Whether the replica believes it holds a lease, even if its local deadline has passed.
    public var holdsLease: Bool { writableUntil != nil }
}
