import PluginABI

/// A plugin file that passed every check: its identity, options and the descriptor's copy.
///
/// Immutable after loading; the library stays mapped for the life of the process.
public final class LoadedPlugin: @unchecked Sendable, CustomStringConvertible {
    /// The path the search found (or the one given to `check-plugin`).
    public let file: String
    /// The file actually opened: `file` with every symlink resolved, the one whose trust was checked.
    public let resolvedFile: String
    /// Set when the file failed the trust check and was loaded anyway (`--allow-untrusted-plugins`).
    public let trustWarning: String?
    public let name: String
    public let version: String
    public let kind: PluginKind
    /// The ABI the plugin was built against (from its identification block).
    public let abiMajor: UInt32
    public let abiMinor: UInt32
    public let summary: String
    public let options: [PluginOptionDeclaration]
    /// A host-owned copy of the descriptor, zero-filled past what the plugin provided.
    let descriptor: vpcr_plugin_v1

    init(file: String, resolvedFile: String, trustWarning: String?, name: String, version: String, kind: PluginKind, abiMajor: UInt32, abiMinor: UInt32,
         summary: String, options: [PluginOptionDeclaration], descriptor: vpcr_plugin_v1) {
        self.file = file
        self.resolvedFile = resolvedFile
        self.trustWarning = trustWarning
        self.name = name
        self.version = version
        self.kind = kind
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.summary = summary
        self.options = options
        self.descriptor = descriptor
    }

    public var abiText: String { "\(abiMajor).\(abiMinor)" }

    public var description: String { "\(name) (\(kind), \(version), ABI \(abiText), \(file))" }
}
