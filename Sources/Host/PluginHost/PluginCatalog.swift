/// Everything a scan found: the plugins accepted and the files refused with their reasons.
public struct PluginCatalog: Sendable {
    public let searchPath: PluginSearchPath
    public var plugins: [LoadedPlugin] = []
    public var refusals: [PluginRefusal] = []
    /// Every file considered, in the order it was considered (search order).
    public var scannedFiles: [String] = []

    public init(searchPath: PluginSearchPath) {
        self.searchPath = searchPath
    }

    public func plugin(named name: String) -> LoadedPlugin? {
        plugins.first { $0.name == name }
    }

    public func plugins(of kind: PluginKind) -> [LoadedPlugin] {
        plugins.filter { $0.kind == kind }
    }

    /// The files refused because another one, found first, provides the same plugin name.
    public var collisions: [(name: String, winner: LoadedPlugin, loser: PluginRefusal)] {
        refusals.compactMap { refusal in
            guard case .shadowed(let winnerFile) = refusal.cause,
                  let winner = plugins.first(where: { $0.file == winnerFile }) else { return nil }
            return (winner.name, winner, refusal)
        }
    }

    /// A file refused as untrusted that may be the plugin `name`, so that running without it would
    /// run something other than what the operator installed: its file name contains the plugin
    /// name or is the file name of the plugin found under that name, and it comes before that
    /// plugin in the search (or no plugin of that name was found). The name cannot be read from an
    /// untrusted file: reading it means running its code.
    public func untrustedRefusal(mayProvide name: String) -> PluginRefusal? {
        let found = plugin(named: name)
        let foundPosition = found.flatMap { plugin in scannedFiles.firstIndex(of: plugin.file) } ?? scannedFiles.count
        let foundBaseName = found.map { Self.baseName($0.file) }
        return refusals.first { refusal in
            guard refusal.cause == .untrusted else { return false }
            let baseName = Self.baseName(refusal.file)
            guard baseName.lowercased().contains(name.lowercased()) || baseName == foundBaseName else { return false }
            return (scannedFiles.firstIndex(of: refusal.file) ?? scannedFiles.count) < foundPosition
        }
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
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
        } else {
            let untrusted = refusals.filter { $0.cause == .untrusted }.map(\.file)
            if !untrusted.isEmpty { message += "; not opened as untrusted: " + untrusted.joined(separator: ", ") }
        }
        return .failure(PluginSelectionError(message: message))
    }
}

/// A `-m` or `-H` value that names no usable plugin.
public struct PluginSelectionError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
