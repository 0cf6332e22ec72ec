import Synchronization

/// Whether this replica may write, as a test says; read by the runtime's `writeAuthority`.
final class LeadershipFlag: Sendable {
    private let leading = Mutex(true)

    var isLeader: Bool { leading.withLock { $0 } }

    func lose() { leading.withLock { $0 = false } }

    func regain() { leading.withLock { $0 = true } }
}
