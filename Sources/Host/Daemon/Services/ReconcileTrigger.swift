import Synchronization

/// Wakes the reconciler. Triggers that arrive while a reconcile runs coalesce into one more
/// pass, which then sees the newest inputs.
final class ReconcileTrigger: Sendable {
    enum Cause: String, Sendable {
        case spec, health, recheck, start, leadership
        /// The backoff after a failed read or write ran out.
        case retry
        /// A route held on a backup may fail back now: its preferred router may have been healthy
        /// for the hold time.
        case failBack = "fail-back"
    }

    private let continuation: AsyncStream<Cause>.Continuation
    let causes: AsyncStream<Cause>
    /// When the oldest health change not yet acted on was seen, for detection-to-write latency
    /// (changes that coalesce into one pass are measured from the first).
    private let healthChangedAt = Mutex<ContinuousClock.Instant?>(nil)

    init() {
        (causes, continuation) = AsyncStream.makeStream(of: Cause.self, bufferingPolicy: .bufferingNewest(1))
    }

    func fire(_ cause: Cause) {
        if cause == .health { healthChangedAt.withLock { $0 = $0 ?? .now } }
        continuation.yield(cause)
    }

    /// Whether a health change is waiting for the next pass (not cleared by asking).
    var healthChangePending: Bool { healthChangedAt.withLock { $0 != nil } }

    /// The time of the health change not yet acted on, cleared by reading it.
    func takeHealthChange() -> ContinuousClock.Instant? {
        healthChangedAt.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
