/// Why a plugin file was not accepted: one line that names the file and the mismatch.
public struct PluginRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    /// `libfoo.so: built for plugin ABI 2.0; this vpcrouter supports 1.0`
    public var description: String {
        "\(file.split(separator: "/").last.map(String.init) ?? file): \(reason)"
    }
}
