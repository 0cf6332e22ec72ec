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

extension CurlTransport {
    /// Limits of a streamed answer.
    public struct StreamLimits: Sendable {
        /// Silence (no byte, headers included) for this long ends the stream with a `.timedOut` error.
        public var idleTimeout: Duration
        /// A longer line ends the stream with a `.responseTooLarge` error.
        public var maxLineBytes: Int
        /// Lines held for a slow reader; a reader this far behind ends the stream with `.responseTooLarge`.
        public var maxBufferedLines: Int

        public init(idleTimeout: Duration, maxLineBytes: Int = 1 << 20, maxBufferedLines: Int = 1024) {
            self.idleTimeout = idleTimeout
            self.maxLineBytes = maxLineBytes
            self.maxBufferedLines = maxBufferedLines
        }
    }

    /// Sends the request and returns once the answer's head is in; its body then arrives line by
    /// line in `lines` while the server keeps the answer open (a watch, an event stream). There is no
    /// overall timeout, only the idle one; the request's timeout bounds the connection set-up. Cancelling the task that awaits the head or iterates the
    /// lines, or dropping the stream, aborts the transfer.
    public func streamLines(_ request: HTTPRequest, limits: StreamLimits) async throws -> HTTPLineStream {
        try Task.checkCancellation()
        guard limits.maxLineBytes > 0, limits.maxBufferedLines > 0, limits.idleTimeout > .zero else {
            throw TransportError(code: .invalidRequest, url: request.url.absoluteString, reason: "the stream's limits must be positive")
        }
        let transfer = CurlTransfer(request: request, limits: CurlTransfer.Limits(
            timeout: request.timeout ?? configuration.requestTimeout, connectTimeout: configuration.connectTimeout,
            idleTimeout: limits.idleTimeout, maxResponseBytes: .max))
        let delivery = CurlTransfer.LineDelivery(idleTimeout: limits.idleTimeout, maxLineBytes: limits.maxLineBytes)
        let loop = self.loop
        let (lines, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(limits.maxBufferedLines))
        delivery.lines = continuation
        // The reader stopped (finished, cancelled or dropped the stream): nothing more to fetch.
        continuation.onTermination = { _ in loop.cancel(transfer) }
        transfer.lineDelivery = delivery
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (head: CheckedContinuation<(status: Int, headers: [String: String]), any Error>) in
                delivery.head = head
                guard loop.submit(transfer) else {
                    delivery.head = nil
                    let reason = loop.unavailableReason ?? "the HTTP client was shut down"
                    head.resume(throwing: TransportError(code: .unavailable, url: transfer.url, reason: reason))
                    return
                }
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        return HTTPLineStream(status: head.status, headers: head.headers, lines: HTTPLines(base: lines), transport: self)
    }
}

/// A streamed answer: its head, and its body as lines while the server sends them.
public struct HTTPLineStream: Sendable {
    public let status: Int
    /// Header names in lower case.
    public let headers: [String: String]
    /// Body lines without their line ends; ends when the server ends the answer, or throws a
    /// `TransportError` (idle, reset, line too long) or `CancellationError`.
    public let lines: HTTPLines
    /// Keeps the transport (and so its thread) alive while the stream is read.
    let transport: CurlTransport
}

/// The lines of a streamed body. Unlike a bare `AsyncThrowingStream`, a reader whose task is
/// cancelled gets `CancellationError` rather than a normal end, so it cannot take a cancelled
/// watch for one the server closed.
public struct HTTPLines: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let base: AsyncThrowingStream<[UInt8], any Error>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator

        public mutating func next() async throws -> [UInt8]? {
            if let line = try await base.next() { return line }
            try Task.checkCancellation()
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }
}
