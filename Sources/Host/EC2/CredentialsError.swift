/// Why a credential provider produced nothing. `notConfigured` lets the default chain move on.
public struct CredentialsError: Error, Sendable, CustomStringConvertible {
    public let provider: String
    public let reason: String
    /// True when this provider simply does not apply (its variables or files are absent).
    public let notConfigured: Bool

    public init(provider: String, reason: String, notConfigured: Bool = false) {
        self.provider = provider
        self.reason = reason
        self.notConfigured = notConfigured
    }

    public var description: String { "\(provider) credentials: \(reason)" }
}
