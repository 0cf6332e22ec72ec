import Reconciler
import Synchronization

/// The retry after a pass whose VPC read or route write failed: its backoff state, for the
/// reconcile loop, `/vpc` and `/metrics`.
public final class ReconcileRetries: Sendable {
    /// One scheduled retry; a later pass makes it stale.
    public struct Scheduled: Sendable, Equatable {
        public let generation: UInt64
        public let delay: Duration
    }

    /// The state as `/vpc` shows it.
    public struct View: Sendable {
        public var failedPasses: Int
        public var nextDelay: Duration?
        public var lastProblem: String?
        public var retries: UInt64
    }

    private struct State {
        var generation: UInt64 = 0
        var view = View(failedPasses: 0, nextDelay: nil, lastProblem: nil, retries: 0)
    }

    private let state = Mutex(State())

    public init() {}

    public var view: View { state.withLock { $0.view } }

    /// Records a pass's outcome; returns the retry to schedule after a failed one.
    public func afterPass(problem: String?, backoff: inout RetryBackoff) -> Scheduled? {
        state.withLock { state in
            state.generation += 1
            guard let problem else {
                backoff.succeeded()
                state.view.failedPasses = 0
                state.view.nextDelay = nil
                return nil
            }
            let delay = backoff.failed()
            state.view.failedPasses = backoff.failures
            state.view.nextDelay = delay
            state.view.lastProblem = problem
            state.view.retries += 1
            return Scheduled(generation: state.generation, delay: delay)
        }
    }

    /// False once another pass ran after the one that scheduled `retry`.
    public func isCurrent(_ retry: Scheduled) -> Bool {
        state.withLock { $0.generation == retry.generation }
    }

    public func exposition() -> String {
        let view = self.view
        let delay = view.nextDelay.map { Double($0.nanosecondsClamped) / 1e9 } ?? 0
        return "# HELP vpcrouter_reconcile_retry_failed_passes Passes in a row whose VPC read or a route write failed (0: none)\n"
            + "# TYPE vpcrouter_reconcile_retry_failed_passes gauge\nvpcrouter_reconcile_retry_failed_passes \(view.failedPasses)\n"
            + "# HELP vpcrouter_reconcile_retry_delay_seconds Backoff before the pending retry (0: none pending)\n"
            + "# TYPE vpcrouter_reconcile_retry_delay_seconds gauge\nvpcrouter_reconcile_retry_delay_seconds \(delay)\n"
            + "# HELP vpcrouter_reconcile_retries_total Retries scheduled after a failed VPC read or route write\n"
            + "# TYPE vpcrouter_reconcile_retries_total counter\nvpcrouter_reconcile_retries_total \(view.retries)\n"
    }
}
