import Glibc

/// Runs a closure on a new detached POSIX thread: Foundation's `Thread.detachNewThread` without
/// Foundation, for blocking calls into plugins that must stay off the Swift concurrency threads.
enum DetachedThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    static func start(_ run: @escaping @Sendable () -> Void) {
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, body)
        // As Thread.detachNewThread: a process that cannot start a thread cannot go on.
        precondition(status == 0, "pthread_create failed: \(String(cString: strerror(status)))")
        pthread_detach(thread)
    }
}
