import Foundation
import Glibc

/// Runs code on a short-lived thread that has joined a named network namespace. Sockets made
/// there belong to that namespace for good, whichever thread uses them later; only the
/// helper thread ever changes namespace, so the test process stays where it was.
enum NetworkNamespace {
    struct Failure: Error, CustomStringConvertible {
        let step: String
        let code: Int32
        var description: String { "\(step): \(String(cString: strerror(code)))" }
    }

    private typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000

    static func run<T>(in namespace: String, _ body: @escaping () throws -> T) throws -> T {
        nonisolated(unsafe) var result: Result<T, any Error>?
        nonisolated(unsafe) let work = body
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            result = Result {
                // Glibc's Swift module does not export setns(); look it up in libc instead.
                guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
                    throw Failure(step: "dlsym setns", code: ENOSYS)
                }
                let setNamespace = unsafeBitCast(symbol, to: SetNamespace.self)
                let descriptor = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw Failure(step: "open /run/netns/\(namespace)", code: errno) }
                defer { close(descriptor) }
                guard setNamespace(descriptor, cloneNewNet) == 0 else { throw Failure(step: "setns \(namespace)", code: errno) }
                return try work()
            }
        }
        thread.start()
        done.wait()
        return try result!.get()
    }
}
