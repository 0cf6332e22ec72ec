/// The runtime's only source of time: every "now", every sleep and every watchdog in the
/// reconcile and health loops, the spec store and the status goes through it, so tests can
/// drive time by hand.
public protocol RuntimeClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Returns at `deadline`; throws `CancellationError` if the task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension RuntimeClock {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}
