import Dispatch
import Logging
import PluginHost
import Runtime
import ServiceLifecycle
import Synchronization

/// Starts the created plugin instances in order once the HTTP server listens (port 0: a run
/// without a server, such as `vpcrouter plan`), keeps them until
/// graceful shutdown, then stops and destroys them in reverse order (health before mode), each
/// finishing before the next begins. A plugin that cannot start ends start-up with its message.
final class PluginInstancesService: Service, Sendable {
    let instances: [PluginInstance]
    let serverListening: AsyncStream<Int>
    let logger: Logger
    let gate: StartupGate
    private let started = Mutex(false)

    init(instances: [PluginInstance], serverListening: AsyncStream<Int>, gate: StartupGate, logger: Logger) {
        self.instances = instances
        self.serverListening = serverListening
        self.gate = gate
        self.logger = logger
    }

    var serverStarted: Bool { started.withLock { $0 } }

    func run() async throws {
        var port: Int?
        for await listening in serverListening.cancelOnGracefulShutdown() {
            port = listening
            break
        }
        guard let port else { return }  // the server never came up; its own error ends the group
        started.withLock { $0 = true }
        if port > 0 { logger.info("HTTP server listening", metadata: ["http.port": "\(port)"]) }
        for instance in instances {
            do {
                try await Self.offPool { try instance.start() }
            } catch let error as PluginError {
                throw FatalError(error.description)
            }
            logger.info("plugin started", metadata: ["plugin.name": "\(instance.plugin.name)", "plugin.kind": "\(instance.plugin.kind)"])
        }
        gate.open()
        // `/plugins` is served from snapshots refreshed here, off the request path and off the
        // Swift concurrency threads; a refresh still running (a plugin slow to report) is not
        // doubled up.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            refreshInfo()
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) } } catch { break }
        }
        for instance in instances.reversed() {
            await Self.offPool { instance.shutdown() }
            logger.info("plugin stopped", metadata: ["plugin.name": "\(instance.plugin.name)"])
        }
    }

    private let refreshing = Mutex(false)
    private let infoQueue = DispatchQueue(label: "vpcrouter.plugin-info")

    func refreshInfo() {
        let start = refreshing.withLock { busy -> Bool in
            defer { busy = true }
            return !busy
        }
        guard start else { return }
        infoQueue.async { [self] in
            for instance in instances { instance.refreshInfo() }
            refreshing.withLock { $0 = false }
        }
    }

    /// Runs a blocking call into a plugin on a thread of its own, never on the Swift concurrency
    /// threads (two of them are all a two-core machine has).
    static func offPool<T: Sendable>(_ call: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DetachedThread.start { continuation.resume(with: Result { try call() }) }
        }
    }

    static func offPool(_ call: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { continuation in
            DetachedThread.start {
                call()
                continuation.resume()
            }
        }
    }
}
