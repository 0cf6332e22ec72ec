import FoundationEssentials

/// An etcd client URL as an operator writes it: `http://host[:port]` with an optional final "/",
/// port 2379 (etcd's client port, where the JSON gateway is served) when none is given, an IPv6
/// address in brackets. TLS is not supported. Parsed the same way for the etcd mode's
/// `--etcd-endpoints` and the leader election's `--leader-etcd-endpoints`.
public struct EtcdEndpoint: Sendable, Equatable, CustomStringConvertible {
    public static let defaultPort = 2379

    public let host: String
    public let port: Int
    /// The URL the client calls: always with its port, an IPv6 address in brackets.
    public let url: URL

    public var description: String { url.absoluteString }

    public init?(_ text: String) {
        guard text.hasPrefix("http://") else { return nil }
        var rest = text.dropFirst("http://".count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        let portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            host = String(rest)
            portText = nil
        }
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            port = Self.defaultPort
        }
        // Strict: FoundationEssentials alone would percent-encode a space in the host and accept it.
        let text = host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        guard !host.isEmpty, let url = URL(string: text, encodingInvalidCharacters: false) else { return nil }
        self.url = url
    }

    /// A comma-separated list given to `option`; the error names the option and the entry.
    public static func parseList(_ text: String, option: String) -> Result<[EtcdEndpoint], EtcdEndpointError> {
        var endpoints: [EtcdEndpoint] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = String(entry.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            guard let endpoint = EtcdEndpoint(trimmed) else {
                return .failure(EtcdEndpointError("\(option): '\(trimmed)' is not an http://host:port URL (TLS is not supported)"))
            }
            endpoints.append(endpoint)
        }
        return endpoints.isEmpty ? .failure(EtcdEndpointError("\(option) is empty")) : .success(endpoints)
    }
}

/// Why a list of etcd endpoints cannot be used.
public struct EtcdEndpointError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(_ message: String) { self.message = message }
}
