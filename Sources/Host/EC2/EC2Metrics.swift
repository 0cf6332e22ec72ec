import Synchronization

/// Per-action call counters, cheap to bump from any task and read as a snapshot (for /metrics).
public final class EC2Metrics: Sendable {
    public struct ActionCounters: Sendable, Equatable {
        /// HTTP attempts sent, retries included.
        public var calls = 0
        /// Calls that finally failed (after retries).
        public var errors = 0
        public var retries = 0
        /// Attempts answered with a throttling error.
        public var throttles = 0
        /// Time spent waiting for a client-side budget token.
        public var budgetWait: Duration = .zero

        public init() {}
    }

    private let counters = Mutex<[String: ActionCounters]>([:])

    public init() {}

    func record(_ action: String, _ update: (inout ActionCounters) -> Void) {
        counters.withLock { update(&$0[action, default: ActionCounters()]) }
    }

    /// Counters by action name.
    public func snapshot() -> [String: ActionCounters] {
        counters.withLock { $0 }
    }
}
