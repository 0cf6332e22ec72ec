import FoundationEssentials

/// An AWS access key pair, optionally temporary. Its description never shows the secret or token.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let accessKeyId: String
    public let secretAccessKey: String
    public let sessionToken: String?
    /// When temporary credentials stop working; nil for long-lived keys.
    public let expiration: Date?
    /// Which provider produced them, for logs ("environment", "profile default", ...).
    public let source: String

    public init(
        accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil,
        expiration: Date? = nil, source: String = "static"
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
        self.expiration = expiration
        self.source = source
    }

    /// True when the credentials expire within `margin` of `now`.
    public func expires(within margin: TimeInterval, of now: Date = Date()) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) <= margin
    }

    public var description: String {
        var text = "AWSCredentials(accessKeyId: \(Self.redactedKeyId(accessKeyId)), secretAccessKey: <redacted>"
        if sessionToken != nil { text += ", sessionToken: <redacted>" }
        if let expiration { text += ", expiration: \(expiration)" }
        return text + ", source: \(source))"
    }

    public var debugDescription: String { description }

    /// Shows only the key id's last four characters, enough to tell keys apart in logs.
    static func redactedKeyId(_ keyId: String) -> String {
        keyId.count > 4 ? "****" + keyId.suffix(4) : "****"
    }
}
