import Logging
import PluginHost
import RouteModel
import Synchronization

/// The route spec in force. Plugins submit whole specs; a refused one leaves this unchanged.
final class RouteSpecStore: Sendable {
    struct Current: Sendable {
        var spec: RouteSpec
        var generation: UInt64
        var plugin: String
        var acceptedAt: ContinuousClock.Instant
        /// Counts every accepted submission, across plugins.
        var sequence: UInt64
    }

    private let current = Mutex<Current?>(nil)
    private let logger: Logger
    private let metrics: DaemonMetrics
    private let continuation: AsyncStream<Current>.Continuation
    /// Every accepted spec, newest last; consumers keep only the latest.
    let updates: AsyncStream<Current>

    init(logger: Logger, metrics: DaemonMetrics) {
        self.logger = logger
        self.metrics = metrics
        (updates, continuation) = AsyncStream.makeStream(of: Current.self, bufferingPolicy: .bufferingNewest(1))
    }

    var spec: RouteSpec? { current.withLock { $0?.spec } }
    var snapshot: Current? { current.withLock { $0 } }

    func accept(_ submission: RouteSpecSubmission) -> Result<Void, RouteSpecError> {
        let accepted = current.withLock { current -> Current in
            let next = Current(spec: submission.spec, generation: submission.generation, plugin: submission.plugin,
                               acceptedAt: .now, sequence: (current?.sequence ?? 0) + 1)
            current = next
            return next
        }
        logger.info("route spec accepted", metadata: [
            "plugin.name": "\(submission.plugin)", "spec.generation": "\(submission.generation)",
            "spec.routes": "\(submission.spec.routes.count)", "spec.routers": "\(submission.spec.routerAddresses.count)",
        ])
        metrics.specsAccepted.increment()
        metrics.specGeneration.record(Int64(clamping: accepted.sequence))
        continuation.yield(accepted)
        return .success(())
    }

    func finish() {
        continuation.finish()
    }
}
