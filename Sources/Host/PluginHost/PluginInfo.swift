/// What `/plugins` shows about one running plugin: its identity and the params and stats it reports.
public struct PluginInfo: Sendable, Equatable {
    public let name: String
    public let kind: PluginKind
    public let version: String
    public let abi: String
    public let file: String
    /// The file opened: `file` with every symlink resolved.
    public let loadedFrom: String
    public var params: [String: String]
    public var stats: [String: String]
}

/// Collects the fields a plugin reports through `info_add`.
final class PluginInfoSink {
    var params: [String: String] = [:]
    var stats: [String: String] = [:]
    var fieldCount = 0
    static let maximumFields = 256

    func add(section: String, key: String, value: String) {
        guard fieldCount < Self.maximumFields else { return }
        fieldCount += 1
        if section == "params" { params[key] = value } else { stats[key] = value }
    }
}
