import Logging
import PluginHost
import ServiceLifecycle

/// Holds the started plugin instances until graceful shutdown, then stops and destroys them in
/// reverse order of start (health before mode), each finishing before the next begins.
struct PluginInstancesService: Service {
    let instances: [PluginInstance]
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        for instance in instances.reversed() {
            instance.shutdown()
            logger.info("plugin stopped", metadata: ["plugin.name": "\(instance.plugin.name)"])
        }
    }
}
