import Logging
import PluginHost
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
                try instance.start()
            } catch {
                throw FatalError(error.description)
            }
            logger.info("plugin started", metadata: ["plugin.name": "\(instance.plugin.name)", "plugin.kind": "\(instance.plugin.kind)"])
        }
        gate.open()
        try? await gracefulShutdown()
        for instance in instances.reversed() {
            instance.shutdown()
            logger.info("plugin stopped", metadata: ["plugin.name": "\(instance.plugin.name)"])
        }
    }
}
