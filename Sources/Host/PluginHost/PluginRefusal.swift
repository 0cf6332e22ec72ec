/// Why a plugin file was not accepted: one line that names the file and the mismatch.
public struct PluginRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of refusal it is, for callers that treat some differently.
    public enum Cause: Equatable, Sendable {
        /// The file is not a plugin this host can use (ABI, ELF, descriptor, options).
        case unusable
        /// Someone besides root and the daemon's user could have written the file (never opened).
        case untrusted
        /// Another file, found first, already provides the plugin's name.
        case shadowed(by: String)
    }

    public let file: String
    public var reason: String
    public let cause: Cause

    public init(file: String, reason: String, cause: Cause = .unusable) {
        self.file = file
        self.reason = reason
        self.cause = cause
    }

    /// `libfoo.so: built for plugin ABI 2.0; this vpcrouter supports 1.0`
    public var description: String {
        "\(file.split(separator: "/").last.map(String.init) ?? file): \(reason)"
    }
}
