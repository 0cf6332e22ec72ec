import PluginHost

/// The plugins a run uses: the mode plugin, the health plugin, the health plugins it names as
/// children (multi), and the option values for each.
struct PluginSelection: Sendable {
    let catalog: PluginCatalog
    let mode: LoadedPlugin
    let health: LoadedPlugin
    let children: [LoadedPlugin]
    let optionValues: [String: [(String, String)]]

    var all: [LoadedPlugin] { [mode, health] + children }

    static func resolve(
        catalog: PluginCatalog, modeName: String, healthName: String, pluginArguments: [String]
    ) throws(UsageError) -> PluginSelection {
        let mode: LoadedPlugin
        switch catalog.select(modeName, as: .mode) {
        case .success(let plugin): mode = plugin
        case .failure(let error): throw UsageError(error.message)
        }
        let health: LoadedPlugin
        switch catalog.select(healthName, as: .health) {
        case .success(let plugin): health = plugin
        case .failure(let error): throw UsageError(error.message)
        }
        var children: [LoadedPlugin] = []
        for option in health.options where option.namesPlugins {
            guard let value = Self.rawValue(of: option, in: pluginArguments) ?? option.defaultValue else { continue }
            for name in value.split(separator: ":").map(String.init) where name != health.name {
                switch catalog.select(name, as: .health) {
                case .success(let plugin):
                    if !children.contains(where: { $0 === plugin }) { children.append(plugin) }
                case .failure(let error):
                    throw UsageError("--\(option.longName): \(error.message)")
                }
            }
        }
        let parser = PluginOptionParser(selected: [mode, health] + children, all: catalog.plugins)
        do {
            let values = try parser.parse(pluginArguments)
            return PluginSelection(catalog: catalog, mode: mode, health: health, children: children, optionValues: values)
        } catch {
            throw UsageError(error.message)
        }
    }

    /// Every plugin name the command line asks for, with the flag that asks: `-m`, `-H`, and the
    /// children a health plugin's plugin-naming option (`--multi_plugins`) lists.
    static func requestedNames(catalog: PluginCatalog, modeName: String, healthName: String,
                               pluginArguments: [String]) -> [(flag: String, name: String)] {
        var names = [(flag: "-m", name: modeName), (flag: "-H", name: healthName)]
        guard let health = catalog.plugin(named: healthName) else { return names }
        for option in health.options where option.namesPlugins {
            guard let value = Self.rawValue(of: option, in: pluginArguments) ?? option.defaultValue else { continue }
            for name in value.split(separator: ":").map(String.init) where name != health.name {
                names.append((flag: "--\(option.longName)", name: name))
            }
        }
        return names
    }

    /// The value given for an option before full parsing (to learn which children to select).
    static func rawValue(of option: PluginOptionDeclaration, in words: [String]) -> String? {
        var found: String?
        for (index, word) in words.enumerated() where word.hasPrefix("--") {
            let body = word.dropFirst(2)
            let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            guard PluginOptionDeclaration.normalize(name) == option.normalizedName else { continue }
            if let equals = body.firstIndex(of: "=") {
                found = String(body[body.index(after: equals)...])
            } else if index + 1 < words.count {
                found = words[index + 1]
            }
        }
        return found
    }
}
