import PluginABI

/// A plugin call that failed: which plugin, which call, its status code and its own message.
public struct PluginError: Error, Equatable, Sendable, CustomStringConvertible {
    public let plugin: String
    public let operation: String
    public let code: Int32
    public let message: String

    public init(plugin: String, operation: String, code: Int32, message: String) {
        self.plugin = plugin
        self.operation = operation
        self.code = code
        self.message = message
    }

    /// The plugin refused an option value (VPCR_E_CONFIG): a problem with the command line.
    public var refusedAnOption: Bool { code == vpcr_status(VPCR_E_CONFIG) }

    public var description: String {
        "plugin \(plugin): \(operation) failed: \(message) (status \(code))"
    }
}
