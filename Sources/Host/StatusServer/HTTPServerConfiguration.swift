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

    /// The address to bind: `localhost` means the IPv4 loopback address.
    public var bindAddress: String { address == "localhost" ? "127.0.0.1" : address }

    public var isLoopback: Bool { bindAddress.hasPrefix("127.") }
}
