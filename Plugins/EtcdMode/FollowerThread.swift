import Glibc
import Synchronization

/// A thread of the plugin's own that runs the follower's task: a task executor, so the task's
/// every step (and the host calls it makes, such as submitting a spec) happens here and never on
/// the host's cooperative pool, and `stop` can wait for it without taking a pool thread hostage.
final class FollowerThread: TaskExecutor, @unchecked Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var closing = false
    }

    private let queue = Mutex(Queue())
    /// Posted once per enqueued job and once on close.
    private let wakeup = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    /// Posted once when the thread has left its loop.
    private let exited = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    /// Starts the thread; nil when the system refuses one.
    init?() {
        sem_init(wakeup, 0, 0)
        sem_init(exited, 0, 0)
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<FollowerThread>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, retained)
        guard created == 0 else {
            Unmanaged<FollowerThread>.fromOpaque(retained).release()
            return nil
        }
        pthread_detach(thread)
    }

    deinit {
        sem_destroy(wakeup)
        sem_destroy(exited)
        wakeup.deallocate()
        exited.deallocate()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queue.withLock { $0.jobs.append(unowned) }
        sem_post(wakeup)
    }

    /// The thread leaves once the jobs queued so far have run.
    func close() {
        queue.withLock { $0.closing = true }
        sem_post(wakeup)
    }

    /// Waits until the thread has left, or the host-monotonic deadline passes; true when it left.
    func waitForExit(remainingNanoseconds: UInt64) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let total = UInt64(now.tv_nsec) + remainingNanoseconds
        var until = timespec(tv_sec: now.tv_sec + Int(total / 1_000_000_000), tv_nsec: Int(total % 1_000_000_000))
        while sem_timedwait(exited, &until) != 0 {
            if errno != EINTR { return false }
        }
        sem_post(exited)  // for any later waiter
        return true
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        while true {
            while sem_wait(wakeup) != 0 && errno == EINTR {}
            let (jobs, closing) = queue.withLock { queue in
                defer { queue.jobs.removeAll() }
                return (queue.jobs, queue.closing)
            }
            for job in jobs { job.runSynchronously(on: executor) }
            if closing && queue.withLock({ $0.jobs.isEmpty }) { break }
        }
        sem_post(exited)
    }
}
