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
        let catalog = DaemonPluginLoader.make(allowUntrusted: options.allowUntrustedPlugins)
            .scan(.standard(pluginDirectories: options.pluginDirectories))
        // Running without a selected plugin's file because it is untrusted would run something other
        // than what was installed, or nothing: that is a failure to start, not a command-line mistake.
        for (flag, name) in PluginSelection.requestedNames(
            catalog: catalog, modeName: options.mode, healthName: options.health, pluginArguments: pluginArguments) {
            if let refusal = catalog.untrustedRefusal(mayProvide: name) {
                throw FatalError("\(flag) \(name): plugin file refused: \(refusal.file): \(refusal.reason)")
            }
        }
        let selection = try PluginSelection.resolve(
            catalog: catalog, modeName: options.mode, healthName: options.health, pluginArguments: pluginArguments)
        for refusal in catalog.refusals where !Self.isCollision(refusal) {
            logger.warning("plugin file refused", metadata: ["plugin.file": "\(refusal.file)", "reason": "\(refusal.reason)"])
        }
        for (name, winner, loser) in catalog.collisions {
            logger.warning("two files provide one plugin name", metadata: [
                "plugin.name": "\(name)", "plugin.file": "\(winner.file)", "plugin.ignored_file": "\(loser.file)",
                "reason": "\(catalog.searchPath.precedence(of: winner.file, over: loser.file))",
            ])
        }
        for plugin in catalog.plugins {
            if let warning = plugin.trustWarning {
                logger.warning("loaded an untrusted plugin file (--allow-untrusted-plugins)", metadata: [
                    "plugin.name": "\(plugin.name)", "plugin.file": "\(plugin.file)", "reason": "\(warning)",
                ])
            }
        }
        return DaemonLaunch(options: options, selection: selection, logger: logger, logSink: logSink)
    }

    static func isCollision(_ refusal: PluginRefusal) -> Bool {
        if case .shadowed = refusal.cause { return true }
        return false
    }
}
