import Logging
import PluginHost
import ServiceLifecycle

/// Keeps one started plugin instance until graceful shutdown, then stops and destroys it.
/// Instances are started in order before the service group runs; the group stops services in
/// reverse order, so the health plugin stops before the mode plugin.
struct PluginInstanceService: Service {
    let instance: PluginInstance
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        instance.shutdown()
        logger.info("plugin stopped", metadata: ["plugin.name": "\(instance.plugin.name)"])
    }
}
