import EC2
import EtcdClient
import FoundationEssentials
import HTTPClient
import Health
import Hummingbird
import Logging
import PluginHost
import Reconciler
import RouteModel
import Runtime
import ServiceLifecycle
import StateStore
import StatusServer
import Synchronization
import UnixSignals

/// One run of the daemon: create the plugins, bind the HTTP server, start the plugins in order,
/// serve until SIGTERM or SIGINT, then stop everything in reverse order.
struct Daemon {
    enum Purpose {
        /// Keep the routes right until asked to stop.
        case serve
        /// `vpcrouter plan`: no HTTP server, no writes; stop after the first pass that had a spec,
        /// a health round and an observation, or when the time limit passes.
        case planOnce(timeLimit: Duration)
    }

    let options: ValidatedCoreOptions
    let selection: PluginSelection
    let logger: Logger
    let logSink: LineLogHandler.Sink
    var purpose = Purpose.serve

    /// Runs until stopped; for `.planOnce` returns the plan of the first complete pass.
    @discardableResult
    func run() async throws -> RoutePlan? {
        // Trap SIGTERM and SIGINT before anything starts, so a stop request during start-up does
        // not kill the process half-way; it is honoured as soon as start-up is done. SIGHUP (log
        // rotation) is trapped from the start too: its default action would end the process.
        let earlySignals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let hangUps = await UnixSignalsSequence(trapping: .sighup)
        let stopRequested = Mutex(false)
        let earlyWatch = Task {
            for await _ in earlySignals {
                stopRequested.withLock { $0 = true }
            }
        }
        defer { earlyWatch.cancel() }
        let clock = SystemClock()
        let metrics = DaemonMetrics()
        let specStore = RouteSpecStore(logger: logger, metrics: metrics, clock: clock)
        let status = DaemonStatus(parameters: statusParameters(), modeName: selection.mode.name, healthName: selection.health.name,
                                  specStore: specStore, metrics: metrics, clock: clock)
        let http = PluginHTTPRegistry(reservedPaths: StatusServer.reservedPaths)
        let services = pluginServices(specStore: specStore, http: http)
        // Create every plugin first: creation checks the plugins' option values (a value a plugin
        // refuses is a command-line problem, reported before anything else happens), and registers
        // HTTP handlers, which decide whether the server may listen where it was asked to.
        var created: [PluginInstance] = []
        for plugin in [selection.mode, selection.health] {
            do {
                created.append(try PluginInstance.create(plugin, options: selection.optionValues[plugin.name] ?? [], services: services))
                metrics.recordPlugin(name: plugin.name, kind: plugin.kind.rawValue, version: plugin.version, abi: plugin.abiText)
            } catch {
                created.reversed().forEach { $0.shutdown() }
                if error.refusedAnOption { throw UsageError("\(plugin.name): \(error.message)") }
                throw FatalError(error.description)
            }
        }
        let configuration = HTTPServerConfiguration(address: options.address, port: options.port, bearerToken: options.httpToken)
        let mutating = http.registeredPaths.filter { !$0.hasPrefix("GET ") }
        if !configuration.isLoopback, options.httpToken == nil, !options.httpInsecure, !mutating.isEmpty {
            created.reversed().forEach { $0.shutdown() }
            throw UsageError("refusing to serve \(mutating.joined(separator: ", ")) on \(options.address) without --http-token-file; "
                + "either give a token (--http-token-file FILE, at least 16 characters) or listen on loopback (-a localhost); "
                + "--http-insecure serves it to anyone")
        }
        // Logged once the plugins accepted their options, so a command-line mistake stays one line.
        for plugin in selection.all {
            logger.info("plugin selected", metadata: [
                "plugin.name": "\(plugin.name)", "plugin.kind": "\(plugin.kind)", "plugin.version": "\(plugin.version)",
                "plugin.file": "\(plugin.resolvedFile)",
            ])
        }
        logger.info("starting vpcrouter", metadata: [
            "version": "\(PluginABIVersion.hostVersion)", "mode": "\(selection.mode.name) \(selection.mode.version)",
            "health": "\(selection.health.name) \(selection.health.version)",
        ])

        // Where routes live and where the ownership ledger is kept: both must work before anything
        // starts, and each failure is one clear line.
        let stateStore = StateStore(directory: options.stateDirectory)
        let location: EC2Location
        let client: EC2Client
        do {
            do {
                // A plan or a dry run leaves the state directory as it is, not even creating it.
                if case .serve = purpose, !options.dryRun { try stateStore.prepare() }
                // A ledger that cannot be read stops start-up: going on with an empty one would forget
                // which routes are vpcrouter's and overwrite the evidence at the next save.
                _ = try stateStore.loadLedger()
            } catch {
                let remedy = options.stateDirectoryGiven ? "" : " (the default); choose another with --state-dir DIR"
                throw FatalError("state directory: \(error)\(remedy)")
            }
            location = try await resolveLocation()
            do {
                client = try EC2Client.fromEnvironment(region: location.region, logger: logger)
            } catch {
                throw FatalError("EC2 client: \(error)")
            }
        } catch {
            created.reversed().forEach { $0.shutdown() }
            throw error
        }
        logger.info("managing routes", metadata: [
            "aws.region": "\(location.region)", "aws.vpc": "\(location.vpcId)", "aws.endpoint": "\(client.configuration.endpoint)",
        ])
        metrics.addExpositionSource { EC2MetricsText.render(client.metrics.snapshot()) }
        status.setLocation(region: location.region, vpc: location.vpcId)
        status.setEC2Usage {
            client.metrics.snapshot().values.reduce(into: EC2UsageView(calls: 0, errors: 0, retries: 0, throttles: 0, budgetWait: .zero)) {
                $0.calls += $1.calls
                $0.errors += $1.errors
                $0.retries += $1.retries
                $0.throttles += $1.throttles
                $0.budgetWait += $1.budgetWait
            }
        }

        let running = created
        status.setPlugins { running.map(\.infoSnapshot) }

        let server = StatusServer(configuration: configuration, source: status, plugins: http, logger: logger)
        let (listening, listeningContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = server.application { port in
            listeningContinuation.yield(port)
            listeningContinuation.finish()
        }
        var settings = reconcileSettings()
        var runServices: [ServiceGroupConfiguration.ServiceConfiguration]
        switch purpose {
        case .serve:
            runServices = [.init(service: application)]
        case .planOnce(let timeLimit):
            settings.singlePass = true
            settings.dryRun = true
            listeningContinuation.yield(0)
            listeningContinuation.finish()
            runServices = [.init(service: TimeLimitService(limit: timeLimit), successTerminationBehavior: .gracefullyShutdownGroup)]
        }
        let gate = StartupGate()
        let trigger = ReconcileTrigger(clock: clock)
        let pluginsService = PluginInstancesService(instances: created, serverListening: listening, gate: gate, logger: logger)
        let healthService = HealthService(
            plugin: PluginHealthProbe(instance: created[1]), policy: try healthPolicy(for: created[1]), specStore: specStore,
            status: status, metrics: metrics, trigger: trigger, gate: gate, clock: clock, logger: logger)
        // `plan` writes nothing, so it never campaigns.
        let election = settings.singlePass ? nil : options.leaderElection.map { makeElection($0, trigger: trigger) }
        if let election {
            status.setLeadership { LeadershipView(role: election.role.rawValue, holder: election.currentHolder, key: election.settings.key) }
            metrics.addExpositionSource {
                "# HELP vpcrouter_leader 1 while this replica holds the leader lease and may write routes\n"
                    + "# TYPE vpcrouter_leader gauge\nvpcrouter_leader \(election.role == .leader ? 1 : 0)\n"
            }
        }
        let writeAuthority = election.map { election in { @Sendable in election.mayWrite() } }
        let reconcileService = ReconcileService(
            access: EC2RouteAccess(client: client, vpcId: location.vpcId, writeAuthority: writeAuthority, logger: logger,
                                   readsPrefixLists: options.prefixLists || ledgerHoldsPrefixLists()), settings: settings,
            specStore: specStore, health: healthService, stateStore: stateStore, trigger: trigger, status: status,
            metrics: metrics, gate: gate, writeAuthority: writeAuthority, clock: clock, logger: logger)
        // Services stop in reverse order: the reconciler finishes before the election releases the lease.
        runServices += [.init(service: pluginsService), .init(service: healthService)]
        if let election { runServices.append(.init(service: election)) }
        runServices.append(.init(service: reconcileService, successTerminationBehavior: .gracefullyShutdownGroup))
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: LogReopenService(sink: logSink, hangUps: hangUps, logger: logger))] + runServices,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A service that does not finish its graceful shutdown in time is cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(10)
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        if stopRequested.withLock({ $0 }) {
            logger.notice("stop requested during start-up")
            created.reversed().forEach { $0.shutdown() }
            return nil
        }
        do {
            try await group.run()
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
        guard case .planOnce(let timeLimit) = purpose else { return nil }
        guard let plan = reconcileService.completePlan else {
            throw FatalError("no plan within \(timeLimit): still waiting for \(status.readinessGaps().joined(separator: ", "))")
        }
        return plan
    }

    /// The etcd election; its requests time out well within a renewal period.
    func makeElection(_ election: LeaderElectionOptions, trigger: ReconcileTrigger) -> LeaderElectionService {
        let requestTimeout: Duration = min(max(election.ttl / 3, .milliseconds(500)), .seconds(2))
        return LeaderElectionService(
            client: EtcdClient(endpoints: election.endpoints, requestTimeout: requestTimeout),
            settings: LeaderElectionService.Settings(key: election.key, identity: election.identity, ttl: election.ttl),
            trigger: trigger, logger: logger)
    }

    /// What `/` shows under `params`.
    func statusParameters() -> StatusParameters {
        StatusParameters(region: options.region, vpc: options.vpc, address: options.address, port: options.port, logfile: options.logfile,
                         verbose: options.verbose, routeRecheckInterval: options.routeRecheckInterval, ignoreRoutes: options.ignoreRoutes)
    }

    /// Region and VPC from the options, with instance metadata (IMDSv2) filling only what is missing.
    func resolveLocation() async throws(FatalError) -> EC2Location {
        do {
            if let region = options.region, let vpc = options.vpc { return EC2Location(region: region, vpcId: vpc) }
            let transport = CurlTransport(idleTimeout: .seconds(1), requestTimeout: .seconds(2))
            let imds = try? IMDSClient(environment: ProcessInfo.processInfo.environment, transport: transport)
            return try await EC2Location.resolve(region: options.region, vpcId: options.vpc, imds: imds)
        } catch {
            throw FatalError("\(error)")
        }
    }

    func reconcileSettings() -> ReconcileService.Settings {
        let selection: ReconcilePolicy.TableSelection
        if !options.routeTables.isEmpty {
            selection = .tableIds(Set(options.routeTables))
        } else if let (key, value) = options.routeTableTag {
            selection = .tag(key: key, value: value)
        } else {
            selection = .automatic
        }
        return ReconcileService.Settings(
            policy: ReconcilePolicy(ignoredCIDRs: options.ignoreRoutes, tableSelection: selection,
                                    deleteUnownedRoutes: options.deleteUnownedRoutes, failBackAfter: options.failBackAfter,
                                    prefixLists: options.prefixLists, routeTableQuota: options.routeTableQuota),
            recheckInterval: options.routeRecheckInterval == 0 ? nil : .seconds(options.routeRecheckInterval),
            dryRun: options.dryRun)
    }

    /// Whether the ledger records prefix lists (`--prefix-lists` was on): they are read, so that
    /// the run without the option migrates back to per-CIDR routes and deletes them.
    func ledgerHoldsPrefixLists() -> Bool {
        (try? StateStore(directory: options.stateDirectory).loadLedger().holdsPrefixLists) ?? false
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
