import ArgumentParser
import PluginHost

/// `vpcrouter plugins`: every plugin found, with its options, and every file refused with why.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List the plugins found and the files refused.")

    @Option(name: .customLong("plugin-dir"), help: "A directory to search for plugins first (repeatable).")
    var pluginDirectories: [String] = []

    @Flag(name: [.customLong("allow-untrusted-plugins"), .customLong("allow_untrusted_plugins")],
          help: "Load plugin files that others than root and this user could have written, with a warning.")
    var allowUntrustedPlugins = false

    func run() throws {
        let catalog = DaemonPluginLoader.make(allowUntrusted: allowUntrustedPlugins)
            .scan(.standard(pluginDirectories: pluginDirectories))
        print("Plugin ABI \(PluginABIVersion.text); searched: \(catalog.searchPath.directories.joined(separator: ", "))")
        print("")
        for plugin in catalog.plugins.sorted(by: { ($0.kind.rawValue, $0.name) < ($1.kind.rawValue, $1.name) }) {
            print("\(plugin.name)  kind=\(plugin.kind) version=\(plugin.version) abi=\(plugin.abiText) file=\(plugin.file)")
            if plugin.resolvedFile != plugin.file { print("  loaded from \(plugin.resolvedFile)") }
            if let warning = plugin.trustWarning { print("  warning: untrusted, loaded because of --allow-untrusted-plugins: \(warning)") }
            if !plugin.summary.isEmpty { print("  \(plugin.summary)") }
            print(PluginHelpText.options(of: plugin).split(separator: "\n").dropFirst().map { "  " + $0 }.joined(separator: "\n"))
        }
        if catalog.plugins.isEmpty { print("no plugins found") }
        let collisions = catalog.collisions
        if !collisions.isEmpty {
            print("")
            print("name collisions (the first file found wins):")
            for (name, winner, loser) in collisions {
                print("  \(name): using \(winner.file), not \(loser.file): \(catalog.searchPath.precedence(of: winner.file, over: loser.file))")
            }
        }
        if !catalog.refusals.isEmpty {
            print("")
            print("refused:")
            for refusal in catalog.refusals { print("  \(refusal.file): \(refusal.reason)") }
        }
    }
}

/// `vpcrouter check-plugin FILE`: would this file be accepted, and if not, why not.
struct CheckPluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-plugin", abstract: "Load one plugin file and say whether it would be accepted.")

    @Argument(help: "The plugin file (.so).")
    var file: String

    @Flag(name: [.customLong("allow-untrusted-plugins"), .customLong("allow_untrusted_plugins")],
          help: "Load the file even if others than root and this user could have written it, with a warning.")
    var allowUntrustedPlugins = false

    func run() throws {
        switch DaemonPluginLoader.make(allowUntrusted: allowUntrustedPlugins).load(file: file) {
        case .success(let plugin):
            print("accepted: \(plugin.name) kind=\(plugin.kind) version=\(plugin.version) abi=\(plugin.abiText) file=\(plugin.file)")
            if let warning = plugin.trustWarning { print("warning: untrusted, loaded because of --allow-untrusted-plugins: \(warning)") }
            print(PluginHelpText.options(of: plugin))
        case .failure(let refusal):
            print("refused: \(refusal)")
            throw ExitCode(1)
        }
    }
}
