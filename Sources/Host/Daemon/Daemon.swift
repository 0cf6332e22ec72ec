import Health
import Hummingbird
import Logging
import PluginHost
import RouteModel
import ServiceLifecycle
import StatusServer
import UnixSignals

/// One run of the daemon: create the plugins, bind the HTTP server, start the plugins in order,
/// serve until SIGTERM or SIGINT, then stop everything in reverse order.
struct Daemon {
    let options: ValidatedCoreOptions
    let selection: PluginSelection
    let logger: Logger

    func run() async throws {
        // Trap SIGTERM and SIGINT before anything starts, so a stop request during start-up is
        // kept and honoured once start-up is done rather than killing the process.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let metrics = DaemonMetrics()
        let specStore = RouteSpecStore(logger: logger, metrics: metrics)
        let status = DaemonStatus(options: options, modeName: selection.mode.name, healthName: selection.health.name,
                                  specStore: specStore, metrics: metrics)
        let http = PluginHTTPRegistry(reservedPaths: StatusServer.reservedPaths)
        let services = pluginServices(specStore: specStore, http: http)
        logger.info("starting vpcrouter", metadata: [
            "version": "\(PluginABIVersion.hostVersion)", "mode": "\(selection.mode.name) \(selection.mode.version)",
            "health": "\(selection.health.name) \(selection.health.version)",
        ])

        // Create every plugin first: creation registers HTTP handlers, which decide whether the
        // server may listen where it was asked to.
        var created: [PluginInstance] = []
        for plugin in [selection.mode, selection.health] {
            do {
                created.append(try PluginInstance.create(plugin, options: selection.optionValues[plugin.name] ?? [], services: services))
                metrics.recordPlugin(name: plugin.name, kind: plugin.kind.rawValue, version: plugin.version, abi: plugin.abiText)
            } catch {
                created.reversed().forEach { $0.shutdown() }
                throw FatalError(error.description)
            }
        }
        status.setInstances(created)
        let configuration = HTTPServerConfiguration(address: options.address, port: options.port, bearerToken: options.httpToken)
        let mutating = http.registeredPaths.filter { !$0.hasPrefix("GET ") }
        if !configuration.isLoopback, options.httpToken == nil, !options.httpInsecure, !mutating.isEmpty {
            created.reversed().forEach { $0.shutdown() }
            throw UsageError("refusing to serve \(mutating.joined(separator: ", ")) on \(options.address) without --http-token-file; "
                + "use a loopback address, give a token, or pass --http-insecure")
        }

        let server = StatusServer(configuration: configuration, source: status, plugins: http, logger: logger)
        let (listening, listeningContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = server.application { port in
            listeningContinuation.yield(port)
            listeningContinuation.finish()
        }
        let gate = StartupGate()
        let trigger = ReconcileTrigger()
        let pluginsService = PluginInstancesService(instances: created, serverListening: listening, gate: gate, logger: logger)
        let healthService = HealthService(
            instance: created[1], policy: try healthPolicy(for: created[1]), specStore: specStore, status: status,
            metrics: metrics, trigger: trigger, gate: gate, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: application), .init(service: pluginsService), .init(service: healthService)],
            logger: logger))
        do {
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
        } catch let error as FatalError {
            created.reversed().forEach { $0.shutdown() }
            throw error
        } catch {
            created.reversed().forEach { $0.shutdown() }
            if !pluginsService.serverStarted {
                throw FatalError("the HTTP server cannot listen on \(configuration.bindAddress):\(configuration.port): \(error)")
            }
            throw FatalError("\(error)")
        }
        specStore.finish()
        logger.info("vpcrouter stopped")
    }

    /// The host's health policy at the health plugin's probe interval.
    func healthPolicy(for health: PluginInstance) throws(UsageError) -> HealthPolicy {
        do {
            return try HealthPolicy(interval: health.schedule.interval, fall: options.healthFall, rise: options.healthRise,
                                    holdDown: options.healthHoldDown)
        } catch {
            throw UsageError("health policy: \(error)")
        }
    }

    func pluginServices(specStore: RouteSpecStore, http: PluginHTTPRegistry) -> PluginServices {
        let catalog = selection.catalog
        let optionValues = selection.optionValues
        let baseLogger = logger
        return PluginServices(
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
    }
}
