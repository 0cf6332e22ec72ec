import FoundationEssentials

/// HTTP(S) on libcurl's multi interface: one thread per transport drives all of its transfers and
/// keeps a cache of open connections for reuse. Every request has a whole-request timeout, an idle
/// timeout and a cap on the answer's size; cancelling the calling task aborts the transfer at once.
///
/// The transport owns its thread and connections; they go away with the last reference to it.
public final class CurlTransport: HTTPTransport {
    public struct Configuration: Sendable {
        /// Longest wait for a connection (TCP and TLS) to be set up.
        public var connectTimeout: Duration
        /// Longest silence once connected; whole seconds, at least one.
        public var idleTimeout: Duration
        /// Cap on a whole exchange unless the request sets its own.
        public var requestTimeout: Duration
        /// Largest answer body accepted unless the request sets its own limit.
        public var maxResponseBytes: Int
        /// Idle connections kept open for reuse.
        public var maxCachedConnections: Int
        /// Connections open to one host at once; further transfers wait for one (their timeout runs).
        public var maxConnectionsPerHost: Int

        public init(
            connectTimeout: Duration = .seconds(5), idleTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(20),
            maxResponseBytes: Int = 32 << 20, maxCachedConnections: Int = 8, maxConnectionsPerHost: Int = 8
        ) {
            self.connectTimeout = connectTimeout
            self.idleTimeout = idleTimeout
            self.requestTimeout = requestTimeout
            self.maxResponseBytes = maxResponseBytes
            self.maxCachedConnections = maxCachedConnections
            self.maxConnectionsPerHost = maxConnectionsPerHost
        }
    }

    /// What the transport has done so far, for tests and status.
    public struct Statistics: Sendable, Equatable {
        public let transfersFinished: Int
        public let connectionsOpened: Int
    }

    public let configuration: Configuration
    let loop: CurlMultiLoop

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        loop = CurlMultiLoop(maxCachedConnections: configuration.maxCachedConnections, maxConnectionsPerHost: configuration.maxConnectionsPerHost)
    }

    /// A transport whose connect and idle timeouts are both `idleTimeout`.
    public convenience init(idleTimeout: Duration, requestTimeout: Duration, maxResponseBytes: Int = 32 << 20) {
        self.init(configuration: Configuration(
            connectTimeout: idleTimeout, idleTimeout: idleTimeout, requestTimeout: requestTimeout, maxResponseBytes: maxResponseBytes))
    }

    deinit { loop.stop() }

    public var statistics: Statistics {
        let counted = loop.statistics
        return Statistics(transfersFinished: counted.transfersFinished, connectionsOpened: counted.connectionsOpened)
    }

    /// The libcurl version this process runs, e.g. "7.88.1".
    public static var libraryVersion: String { CurlLibrary.version }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let limits = CurlTransfer.Limits(
            timeout: request.timeout ?? configuration.requestTimeout, connectTimeout: configuration.connectTimeout,
            idleTimeout: configuration.idleTimeout, maxResponseBytes: request.maxResponseBytes ?? configuration.maxResponseBytes)
        guard limits.maxResponseBytes >= 0, limits.timeout > .zero else {
            throw TransportError(code: .invalidRequest, url: request.url.absoluteString, reason: "the timeout and the size limit must be positive")
        }
        let transfer = CurlTransfer(request: request, limits: limits)
        let loop = self.loop
        // The transport must outlive its transfers: its deinit stops the loop.
        defer { withExtendedLifetime(self) {} }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                guard loop.submit(transfer) else {
                    transfer.continuation = nil
                    let reason = loop.unavailableReason ?? "the HTTP client was shut down"
                    continuation.resume(throwing: TransportError(code: .unavailable, url: transfer.url, reason: reason))
                    return
                }
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}
