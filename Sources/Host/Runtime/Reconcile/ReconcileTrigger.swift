import Synchronization

/// Wakes the reconciler. Triggers that arrive while a reconcile runs coalesce into one more
/// pass, which then sees the newest inputs.
public final class ReconcileTrigger: Sendable {
    public enum Cause: String, Sendable {
        case spec, health, recheck, start, leadership
        /// The backoff after a failed read or write ran out.
        case retry
        /// A route held on a backup may fail back now: its preferred router may have been healthy
        /// for the hold time.
        case failBack = "fail-back"
        /// The pass before wrote (or could write only its failovers): plan from what it confirmed.
        case followUp = "follow-up"
    }

    private let continuation: AsyncStream<Cause>.Continuation
    public let causes: AsyncStream<Cause>
    /// When the oldest health change not yet acted on was seen, for detection-to-write latency
    /// (changes that coalesce into one pass are measured from the first).
    private let clock: any RuntimeClock
    private let healthChangedAt = Mutex<ContinuousClock.Instant?>(nil)

    public init(clock: any RuntimeClock = SystemClock()) {
        self.clock = clock
        (causes, continuation) = AsyncStream.makeStream(of: Cause.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func fire(_ cause: Cause) {
        if cause == .health { healthChangedAt.withLock { $0 = $0 ?? clock.now } }
        continuation.yield(cause)
    }

    /// Whether a health change is waiting for the next pass (not cleared by asking).
    public var healthChangePending: Bool { healthChangedAt.withLock { $0 != nil } }

    /// The time of the health change not yet acted on, cleared by reading it.
    public func takeHealthChange() -> ContinuousClock.Instant? {
        healthChangedAt.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
