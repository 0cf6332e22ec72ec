import EC2
import Synchronization

/// A `BudgetClock` that only moves when told to, so rate limiting and backoff are testable
/// without real sleeps. With `autoAdvance`, every sleep moves time forward at once instead.
public final class ManualClock: BudgetClock {
    private struct Sleeper {
        let deadline: Duration
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: Duration = .zero
        var sleepers: [Sleeper] = []
        var totalSlept: Duration = .zero
    }

    private let state = Mutex(State())
    public let autoAdvance: Bool

    public init(autoAdvance: Bool = false) { self.autoAdvance = autoAdvance }

    public func now() -> Duration { state.withLock { $0.now } }

    public func sleep(for duration: Duration) async throws {
        if autoAdvance {
            state.withLock {
                $0.now += max(duration, .zero)
                $0.totalSlept += max(duration, .zero)
            }
            await Task.yield()
            return
        }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { current -> Bool in
                if duration <= .zero { return true }
                current.sleepers.append(Sleeper(deadline: current.now + duration, continuation: continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has passed.
    public func advance(by duration: Duration) {
        let due = state.withLock { current -> [Sleeper] in
            current.now += duration
            let now = current.now
            let ready = current.sleepers.filter { $0.deadline <= now }
            current.sleepers.removeAll { $0.deadline <= now }
            return ready
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Sum of all auto-advanced sleeps.
    public var totalSlept: Duration { state.withLock { $0.totalSlept } }
}
