import Synchronization

/// How many of the harness's services are still running.
final class RunningServices: Sendable {
    private let count = Mutex(0)

    var running: Int { count.withLock { $0 } }

    func run(_ service: @Sendable () async throws -> Void) async throws {
        count.withLock { $0 += 1 }
        defer { count.withLock { $0 -= 1 } }
        try await service()
    }
}
