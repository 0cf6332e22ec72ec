import PluginHost

/// The `--help` section and `vpcrouter plugins` lines that describe plugins and their options.
enum PluginHelpText {
    static func options(of plugin: LoadedPlugin) -> String {
        var lines = ["\(plugin.kind) plugin '\(plugin.name)' \(plugin.version) (\(plugin.file)):"]
        if plugin.options.isEmpty { lines.append("  (no options)") }
        for option in plugin.options {
            var flag = option.shortName.map { "-\($0), " } ?? ""
            flag += "--\(option.longName)"
            if option.type != .bool { flag += " <\(option.valueName ?? option.type.rawValue)>" }
            var notes: [String] = []
            if option.isRequired { notes.append("required") }
            if let defaultValue = option.defaultValue { notes.append("default: \(option.isSecret ? "(secret)" : defaultValue)") }
            if let bounds = option.bounds { notes.append("\(format(bounds.lowerBound))-\(format(bounds.upperBound))") }
            let help = option.help + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))")
            lines.append("  " + flag.padded(toWidth: max(flag.count, 34)) + " " + help)
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
