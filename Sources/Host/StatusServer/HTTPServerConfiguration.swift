import HummingbirdCore
import NIOCore

/// Where and how the built-in HTTP server listens.
public struct HTTPServerConfiguration: Sendable {
    public var address: String
    public var port: Int
    /// Request bodies above this size are answered 413.
    public var maximumBodyBytes: Int
    /// When set, every mutating request (POST, PUT, PATCH, DELETE) needs `Authorization: Bearer <token>`.
    public var bearerToken: String?

    public init(address: String, port: Int, maximumBodyBytes: Int = 1 << 20, bearerToken: String? = nil) {
        self.address = address
        self.port = port
        self.maximumBodyBytes = maximumBodyBytes
        self.bearerToken = bearerToken
    }

    /// Limits of the request head (a larger one is answered 400 and the connection closed) and how
    /// long an idle connection is kept: clients are curl, browsers and Prometheus, whose requests
    /// are small, and a slow or stalled client must not hold a connection for ever.
    public var maximumHeaderFieldBytes = 8 * 1024
    public var maximumHeaderBytes = 32 * 1024
    public var maximumHeaderFields = 100
    public var idleTimeout: TimeAmount = .seconds(30)

    var http1: HTTP1Channel.Configuration {
        var http1 = HTTP1Channel.Configuration(idleTimeout: idleTimeout)
        http1.httpDecoder = .init(maxHeaderFieldSize: maximumHeaderFieldBytes, maxHeaderListSize: maximumHeaderBytes,
                                  maxHeaderFieldCount: maximumHeaderFields)
        return http1
    }

    /// The address to bind: `localhost` means the IPv4 loopback address.
    public var bindAddress: String { address == "localhost" ? "127.0.0.1" : address }

    public var isLoopback: Bool { bindAddress.hasPrefix("127.") }
}
