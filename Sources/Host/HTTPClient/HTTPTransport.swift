import FoundationEssentials

/// A plain HTTP exchange, independent of the client library so tests and other transports can stand in.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Overrides the transport's whole-request timeout when set (IMDS wants ~1 s).
    public var timeout: Duration?
    /// Overrides the transport's limit on the answer's body when set.
    public var maxResponseBytes: Int?

    public init(
        method: String, url: URL, headers: [(name: String, value: String)] = [], body: [UInt8] = [], timeout: Duration? = nil,
        maxResponseBytes: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case; a repeated header's values joined with ", ".
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// The request never produced a complete HTTP response: refused, reset, timed out, too large, bad URL.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in broad strokes; `reason` has the details.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// Could not connect, or the connection broke (refused, reset, closed early, TLS, DNS).
        public static let connection = Code(name: "connection")
        /// No complete answer within the request's timeout, or no byte for the idle timeout.
        public static let timedOut = Code(name: "timedOut")
        /// The answer's body is larger than the request's limit.
        public static let responseTooLarge = Code(name: "responseTooLarge")
        /// The request cannot be sent as given (URL, method, headers).
        public static let invalidRequest = Code(name: "invalidRequest")
        /// The transport is shut down or could not start.
        public static let unavailable = Code(name: "unavailable")
    }

    public let code: Code
    public let url: String
    public let reason: String

    public init(code: Code = .connection, url: String, reason: String) {
        self.code = code
        self.url = url
        self.reason = reason
    }

    /// Kept for callers that only distinguish a timeout.
    public init(url: String, reason: String, timedOut: Bool) {
        self.init(code: timedOut ? .timedOut : .connection, url: url, reason: reason)
    }

    public var timedOut: Bool { code == .timedOut }

    public var description: String { "HTTP request to \(url) failed: \(reason)" }
}

public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
