import ArgumentParser
import Logging
import PluginHost

/// `vpcrouter -m MODE [-H HEALTH] [options]`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Keep VPC route tables pointing at healthy routers (the default command).")

    @OptionGroup var core: CoreOptions

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var pluginArguments: [String] = []

    func run() async throws {
        let launch = try DaemonLaunch.prepare(core: core, pluginArguments: pluginArguments)
        try await Daemon(options: launch.options, selection: launch.selection, logger: launch.logger, logSink: launch.logSink).run()
    }
}

/// What every command that runs the daemon's machinery does first: validate the core options,
/// set up logging, scan the plugin directories and pick the mode and health plugins.
struct DaemonLaunch {
    let options: ValidatedCoreOptions
    let selection: PluginSelection
    let logger: Logger
    let logSink: LineLogHandler.Sink

    static func prepare(core: CoreOptions, pluginArguments: [String]) throws -> DaemonLaunch {
        let options = try core.validated()
        let (logger, logSink) = try DaemonLogging.bootstrap(logfile: options.logfile, verbose: options.verbose)
        let catalog = PluginLoader(
            reservedLongNames: CoreOptions.reservedLongNames, reservedShortNames: CoreOptions.reservedShortNames
        ).scan(.standard(pluginDirectories: options.pluginDirectories))
        let selection = try PluginSelection.resolve(
            catalog: catalog, modeName: options.mode, healthName: options.health, pluginArguments: pluginArguments)
        for refusal in catalog.refusals {
            logger.warning("plugin file refused", metadata: ["plugin.file": "\(refusal.file)", "reason": "\(refusal.reason)"])
        }
        return DaemonLaunch(options: options, selection: selection, logger: logger, logSink: logSink)
    }
}
