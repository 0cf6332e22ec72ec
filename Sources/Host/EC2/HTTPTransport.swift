import FoundationEssentials

/// A plain HTTP exchange, independent of URLSession so tests and other transports can stand in.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Overrides the transport's whole-request timeout when set (IMDS wants ~1 s).
    public var timeout: Duration?

    public init(method: String, url: URL, headers: [(name: String, value: String)] = [], body: [UInt8] = [], timeout: Duration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// The request never produced an HTTP response: refused, reset, timed out, bad URL.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public let url: String
    public let reason: String
    public let timedOut: Bool

    public init(url: String, reason: String, timedOut: Bool = false) {
        self.url = url
        self.reason = reason
        self.timedOut = timedOut
    }

    public var description: String { "HTTP request to \(url) failed: \(reason)" }
}

public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
