import FoundationEssentials

/// One etcd client URL: `http://host:port` (the JSON gateway is served on the client port).
struct EtcdEndpoint: CustomStringConvertible, Equatable {
    let host: String
    let port: Int
    /// The URL the etcd client calls; an IPv6 address in brackets.
    let url: URL

    var description: String { "http://\(host):\(port)" }

    /// Parses a comma-separated list; the error names the entry that cannot be used.
    static func parseList(_ text: String) -> Result<[EtcdEndpoint], EndpointListError> {
        var endpoints: [EtcdEndpoint] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = String(entry.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            guard let endpoint = EtcdEndpoint(trimmed) else {
                return .failure(EndpointListError(
                    "--etcd-endpoints: \"\(trimmed)\" is not an http://host:port URL (TLS endpoints are not supported)"))
            }
            endpoints.append(endpoint)
        }
        return endpoints.isEmpty ? .failure(EndpointListError("--etcd-endpoints is empty")) : .success(endpoints)
    }

    init?(_ text: String) {
        guard text.hasPrefix("http://") else { return nil }
        var rest = text.dropFirst("http://".count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        if rest.hasPrefix("[") {
            // [v6 address]:port
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.isEmpty { port = 2379 } else {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()), (1...65535).contains(value) else { return nil }
                port = value
            }
        } else if let colon = rest.lastIndex(of: ":") {
            guard let value = Int(rest[rest.index(after: colon)...]), (1...65535).contains(value) else { return nil }
            host = String(rest[..<colon])
            port = value
        } else {
            host = String(rest)
            port = 2379
        }
        // A host the URL parser refuses (a space, say) is refused here, not when it is first called.
        // Strictly: FoundationEssentials alone would percent-encode the space and accept it.
        let text = host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        guard !host.isEmpty, let url = URL(string: text, encodingInvalidCharacters: false) else {
            return nil
        }
        self.url = url
    }
}

/// Why `--etcd-endpoints` cannot be used.
struct EndpointListError: Error {
    let message: String

    init(_ message: String) { self.message = message }
}
