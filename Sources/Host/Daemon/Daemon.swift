import Logging
import PluginHost
import RouteModel
import ServiceLifecycle
import UnixSignals

/// One run of the daemon: create and start the plugins in order, serve until SIGTERM or SIGINT,
/// then stop everything in reverse order.
struct Daemon {
    let options: ValidatedCoreOptions
    let selection: PluginSelection
    let logger: Logger

    func run() async throws {
        // Trap SIGTERM and SIGINT before any plugin starts, so a stop request during start-up
        // is kept and honoured once start-up is done rather than killing the process.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let specStore = RouteSpecStore(logger: logger)
        let http = PluginHTTPRegistry(reservedPaths: ["/", "/ips", "/plugins", "/route_info", "/vpc", "/metrics", "/healthz", "/readyz"])
        let catalog = selection.catalog
        let optionValues = selection.optionValues
        let baseLogger = logger
        let services = PluginServices(
            logger: logger,
            acceptRouteSpec: { specStore.accept($0) },
            currentRouteSpec: { specStore.spec },
            http: http,
            openChildHealth: { name throws(PluginError) in
                guard let plugin = catalog.plugin(named: name), plugin.kind == .health else {
                    throw PluginError(plugin: name, operation: "open", code: -10, message: "no health plugin named '\(name)' is loaded")
                }
                guard let values = optionValues[name] else {
                    throw PluginError(plugin: name, operation: "open", code: -4,
                                      message: "'\(name)' was not selected on the command line, so its options were not parsed")
                }
                let instance = try PluginInstance.create(plugin, options: values, services: PluginServices(logger: baseLogger))
                try instance.start()
                return instance
            })
        logger.info("starting vpcrouter", metadata: [
            "version": "\(PluginABIVersion.hostVersion)", "mode": "\(selection.mode.name) \(selection.mode.version)",
            "health": "\(selection.health.name) \(selection.health.version)",
        ])
        var started: [PluginInstance] = []
        func abort(_ error: PluginError) -> FatalError {
            for instance in started.reversed() {
                instance.shutdown()
                logger.info("plugin stopped", metadata: ["plugin.name": "\(instance.plugin.name)"])
            }
            return FatalError(error.description)
        }
        for plugin in [selection.mode, selection.health] {
            do {
                let instance = try PluginInstance.create(plugin, options: optionValues[plugin.name] ?? [], services: services)
                started.append(instance)
                try instance.start()
            } catch {
                throw abort(error)
            }
        }
        if specStore.spec == nil {
            logger.notice("waiting for the first route spec", metadata: ["plugin.name": "\(selection.mode.name)"])
        }
        logger.warning("route reconciliation is not built yet: specs are validated and held, no route is written")
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: PluginInstancesService(instances: started, logger: logger))],
            logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                for await signal in signals {
                    logger.notice("stopping on signal", metadata: ["signal": "\(signal)"])
                    await group.triggerGracefulShutdown()
                    break
                }
            }
            try await tasks.next()
            tasks.cancelAll()
        }
        specStore.finish()
        logger.info("vpcrouter stopped")
    }
}
