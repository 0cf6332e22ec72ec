import Logging
import PluginHost
import RouteModel
import Synchronization

/// The route spec in force. Plugins submit whole specs; a refused one leaves this unchanged.
public final class RouteSpecStore: Sendable {
    public struct Current: Sendable {
        public var spec: RouteSpec
        public var generation: UInt64
        public var plugin: String
        public var acceptedAt: ContinuousClock.Instant
        /// Counts every accepted submission, across plugins.
        public var sequence: UInt64
    }

    private let current = Mutex<Current?>(nil)
    private let subscribers = Mutex<[AsyncStream<Current>.Continuation]>([])
    private let logger: Logger
    private let metrics: DaemonMetrics
    private let clock: any RuntimeClock

    public init(logger: Logger, metrics: DaemonMetrics, clock: any RuntimeClock = SystemClock()) {
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
    }

    public var spec: RouteSpec? { current.withLock { $0?.spec } }
    public var snapshot: Current? { current.withLock { $0 } }

    /// A stream of accepted specs that starts with the one in force; a slow reader sees only the newest.
    public func updates() -> AsyncStream<Current> {
        let (stream, continuation) = AsyncStream.makeStream(of: Current.self, bufferingPolicy: .bufferingNewest(1))
        let now = current.withLock { current in
            subscribers.withLock { $0.append(continuation) }
            return current
        }
        if let now { continuation.yield(now) }
        return stream
    }

    public func accept(_ submission: RouteSpecSubmission) -> Result<Void, RouteSpecError> {
        let accepted = current.withLock { current -> Current in
            let next = Current(spec: submission.spec, generation: submission.generation, plugin: submission.plugin,
                               acceptedAt: clock.now, sequence: (current?.sequence ?? 0) + 1)
            current = next
            subscribers.withLock { $0.forEach { $0.yield(next) } }
            return next
        }
        logger.info("route spec accepted", metadata: [
            "plugin.name": "\(submission.plugin)", "spec.generation": "\(submission.generation)",
            "spec.routes": "\(submission.spec.routes.count)", "spec.routers": "\(submission.spec.routerAddresses.count)",
        ])
        metrics.specsAccepted.increment()
        metrics.specGeneration.record(Int64(clamping: accepted.sequence))
        return .success(())
    }

    public func finish() {
        subscribers.withLock { $0.forEach { $0.finish() } }
    }
}
