import ArgumentParser
import PluginHost

/// `vpcrouter --help` together with `-m`/`-H` also lists the selected plugins' options, which
/// the static parser cannot know about.
enum PluginAwareHelp {
    static func text(for arguments: [String]) -> String? {
        guard arguments.contains("--help") || arguments.contains("-h") else { return nil }
        if let first = arguments.first, ["plugins", "check-plugin"].contains(first) { return nil }
        let isPlan = arguments.first == "plan"
        let words = arguments.filter { $0 != "--help" && $0 != "-h" && $0 != "run" && $0 != "plan" }
        var text = isPlan ? VPCRouterCommand.helpMessage(for: PlanCommand.self) : VPCRouterCommand.helpMessage(for: RunCommand.self)
        if !isPlan { text += "\n\n" + subcommandsSection() }
        let allowUntrusted = words.contains { DaemonPluginLoader.allowUntrustedFlags.contains($0) }
        let catalog = DaemonPluginLoader.make(allowUntrusted: allowUntrusted)
            .scan(.standard(pluginDirectories: values(of: ["--plugin-dir"], in: words)))
        let modeName = values(of: ["-m", "--mode"], in: words).last
        let healthName = values(of: ["-H", "--health"], in: words).last ?? "icmpecho"
        var shown: [LoadedPlugin] = []
        if let modeName, let mode = catalog.plugin(named: modeName) { shown.append(mode) }
        if let health = catalog.plugin(named: healthName) {
            shown.append(health)
            for option in health.options where option.namesPlugins {
                let value = PluginSelection.rawValue(of: option, in: words) ?? option.defaultValue ?? ""
                for name in value.split(separator: ":") {
                    if let child = catalog.plugin(named: String(name)), !shown.contains(where: { $0 === child }) { shown.append(child) }
                }
            }
        }
        text += "\n\nPLUGIN OPTIONS:\n"
        if shown.isEmpty {
            text += "  Give -m MODE (and -H HEALTH) with --help to see their options; `vpcrouter plugins` lists them all.\n"
        }
        for plugin in shown {
            text += PluginHelpText.options(of: plugin) + "\n"
        }
        return text
    }

    /// The daemon's help is the root's too, so it names the other commands.
    static func subcommandsSection() -> String {
        let commands: [(String, String)] = [
            ("run", RunCommand.configuration.abstract),
            ("plan", PlanCommand.configuration.abstract),
            ("plugins", PluginsCommand.configuration.abstract),
            ("check-plugin", CheckPluginCommand.configuration.abstract),
        ]
        var lines = ["SUBCOMMANDS:"]
        for (name, abstract) in commands {
            lines.append("  " + name.padded(toWidth: 14) + abstract)
        }
        lines.append("  See 'vpcrouter <subcommand> --help' for the options of each.")
        return lines.joined(separator: "\n")
    }

    /// Values of an option before parsing: `-m x`, `--mode x`, `--mode=x`, `-mx`.
    static func values(of names: [String], in words: [String]) -> [String] {
        var found: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            for name in names {
                if word == name, index < words.count {
                    found.append(words[index])
                    index += 1
                } else if name.hasPrefix("--"), word.hasPrefix(name + "=") {
                    found.append(String(word.dropFirst(name.count + 1)))
                } else if !name.hasPrefix("--"), word.hasPrefix(name), word.count > name.count, !word.hasPrefix("--") {
                    found.append(String(word.dropFirst(name.count)))
                }
            }
        }
        return found
    }
}
