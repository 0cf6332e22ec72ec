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
        try await Daemon(options: options, selection: selection, logger: logger, logSink: logSink).run()
    }
}
