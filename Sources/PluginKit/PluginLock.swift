import Glibc

/// A mutual-exclusion lock on pthread_mutex_t for the plugins' own threads: Foundation's NSLock
/// without Foundation. (Synchronization's Mutex would serve, but the thread sanitizer cannot see
/// its futex calls and reports races it guards against; tsan-multi.sh relies on the sanitizer.)
public final class PluginLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
