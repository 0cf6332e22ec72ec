/// Everything a scan found: the plugins accepted and the files refused with their reasons.
public struct PluginCatalog: Sendable {
    public let searchPath: PluginSearchPath
    public var plugins: [LoadedPlugin] = []
    public var refusals: [PluginRefusal] = []

    public init(searchPath: PluginSearchPath) {
        self.searchPath = searchPath
    }

    public func plugin(named name: String) -> LoadedPlugin? {
        plugins.first { $0.name == name }
    }

    public func plugins(of kind: PluginKind) -> [LoadedPlugin] {
        plugins.filter { $0.kind == kind }
    }

    /// Looks up the plugin for `-m` or `-H`, or explains what was searched and found.
    public func select(_ name: String, as kind: PluginKind) -> Result<LoadedPlugin, PluginSelectionError> {
        let flag = kind == .mode ? "-m" : "-H"
        if let plugin = plugin(named: name) {
            if plugin.kind == kind { return .success(plugin) }
            return .failure(PluginSelectionError(message: "\(flag) \(name): '\(name)' is a \(plugin.kind) plugin (\(plugin.file)), not a \(kind) plugin"))
        }
        let available = plugins(of: kind).map(\.name)
        var message = "\(flag) \(name): no \(kind) plugin named '\(name)' in \(searchPath.directories.joined(separator: ", "))"
        message += "; \(kind) plugins found: " + (available.isEmpty ? "none" : available.joined(separator: ", "))
        if let refusal = refusals.first(where: { $0.file.contains(name) }) {
            message += "; refused: \(refusal)"
        }
        return .failure(PluginSelectionError(message: message))
    }
}

/// A `-m` or `-H` value that names no usable plugin.
public struct PluginSelectionError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
