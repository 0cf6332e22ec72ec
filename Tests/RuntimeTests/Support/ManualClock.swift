import Runtime
import Synchronization

/// A clock that moves only when a test advances it: a base instant plus an offset. Sleepers wake
/// when the offset passes their deadline, or throw `CancellationError` when their task is cancelled.
final class ManualClock: RuntimeClock {
    private struct Sleeper {
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var offset: Duration = .zero
        var nextId = 0
        var sleepers: [Int: Sleeper] = [:]
    }

    let base = ContinuousClock.now
    private let state = Mutex(State())

    var now: ContinuousClock.Instant { base + state.withLock { $0.offset } }

    /// Time advanced so far.
    var elapsed: Duration { state.withLock { $0.offset } }

    /// The deadlines of the tasks sleeping now, earliest first.
    var sleepingUntil: [ContinuousClock.Instant] {
        state.withLock { $0.sleepers.values.map(\.deadline).sorted() }
    }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state -> Int in
            state.nextId += 1
            return state.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if base + state.offset >= deadline { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    func advance(by duration: Duration) {
        let woken = state.withLock { state -> [Sleeper] in
            state.offset += duration
            let now = base + state.offset
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Moves time forward to `instant` (not back).
    func advance(to instant: ContinuousClock.Instant) {
        let step = instant - now
        if step > .zero { advance(by: step) }
    }
}
