import Glibc
import Synchronization
import Testing

@testable import EtcdMode

/// The etcd mode's follower runs as a task on a thread of the plugin's own: every step of it,
/// including those resumed from the HTTP thread or a timer, must run there and never on the
/// host's cooperative pool, and the thread must leave when the task is done.
@Suite(.timeLimit(.minutes(1))) struct FollowerThreadTests {
    @Test func everyStepOfTheTaskRunsOnTheFollowerThread() async throws {
        let thread = try #require(FollowerThread())
        let seen = Mutex<[pthread_t]>([])
        let note = { seen.withLock { $0.append(pthread_self()) } }
        let task = Task(executorPreference: thread) {
            note()
            try? await Task.sleep(for: .milliseconds(20))
            note()
            // Resumed from another thread, as the HTTP client's loop resumes a request.
            await withCheckedContinuation { continuation in
                var other = pthread_t()
                let box = Unmanaged.passRetained(ContinuationBox(continuation)).toOpaque()
                pthread_create(&other, nil, { context in
                    Unmanaged<ContinuationBox>.fromOpaque(context!).takeRetainedValue().continuation.resume()
                    return nil
                }, box)
                pthread_detach(other)
            }
            note()
            thread.close()
        }
        await task.value
        let threads = seen.withLock { $0 }
        #expect(threads.count == 3)
        #expect(Set(threads.map { UInt($0) }).count == 1, "one thread ran every step: \(threads)")
        #expect(threads.first.map { pthread_equal($0, pthread_self()) == 0 } == true, "not the test's own thread")
        #expect(thread.waitForExit(remainingNanoseconds: 5_000_000_000), "the thread left once its task was done")
    }

    @Test func waitingForAThreadThatDoesNotLeaveEndsAtTheDeadline() throws {
        let thread = try #require(FollowerThread())
        let started = ContinuousClock.now
        #expect(!thread.waitForExit(remainingNanoseconds: 200_000_000))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(5), "\(elapsed)")
        thread.close()
        #expect(thread.waitForExit(remainingNanoseconds: 5_000_000_000))
    }
}

private final class ContinuationBox {
    let continuation: CheckedContinuation<Void, Never>
    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
}
