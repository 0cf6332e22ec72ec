import Glibc

/// A plugin's own background threads without Foundation's `Thread` (which would map full
/// Foundation and ICU into the host process): a detached POSIX thread, optionally named.
public enum PluginThread {
    fileprivate final class Body: Sendable {
        let name: String?
        let run: @Sendable () -> Void
        init(name: String?, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    public static func detach(name: String? = nil, _ run: @escaping @Sendable () -> Void) {
        let body = Unmanaged.passRetained(Body(name: name, run: run)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, threadMain, body)
        // As Foundation's Thread.start: a process that cannot start a thread cannot go on.
        precondition(status == 0, "pthread_create failed: \(String(cString: strerror(status)))")
        pthread_detach(thread)
    }

    /// pthread_setname_np is a GNU extension the Glibc module does not declare; glibc exports it.
    fileprivate static func setCurrentThreadName(_ name: String) {
        typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
        guard let symbol = dlsym(nil, "pthread_setname_np") else { return }
        _ = unsafeBitCast(symbol, to: SetName.self)(pthread_self(), name)
    }
}

/// The new thread's entry: takes back the retained body, names the thread and runs the body.
private func threadMain(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let body = Unmanaged<PluginThread.Body>.fromOpaque(argument!).takeRetainedValue()
    // Linux limits thread names to 15 bytes; longer ones are cut rather than refused.
    if let name = body.name { PluginThread.setCurrentThreadName(String(name.utf8.prefix(15))!) }
    body.run()
    return nil
}
