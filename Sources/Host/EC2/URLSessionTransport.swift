import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP(S) through URLSession (system libcurl on Linux).
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    /// Owns the session; every request in flight holds it too (see `SessionOwner`).
    private let owner: SessionOwner
    private let requestTimeout: Duration
    private let idleTimeout: Duration

    /// - Parameters:
    ///   - idleTimeout: longest silence while connecting or waiting for bytes.
    ///   - requestTimeout: cap on the whole exchange.
    public init(idleTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(20)) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout.seconds
        configuration.timeoutIntervalForResource = requestTimeout.seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        owner = SessionOwner(URLSession(configuration: configuration))
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" {
            urlRequest.httpBody = Data(request.body)
        }
        let timeout = request.timeout ?? requestTimeout
        // URLRequest's interval is the idle (no progress) timeout; the task group below caps the total.
        urlRequest.timeoutInterval = min(idleTimeout, timeout).seconds
        let finalRequest = urlRequest
        let owner = self.owner
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await Self.race(owner: owner, request: finalRequest, timeout: timeout, url: request.url.absoluteString)
        } catch let error as TransportError {
            throw error
        } catch let error as URLError {
            throw TransportError(url: request.url.absoluteString, reason: error.localizedDescription + " (\(error.code.rawValue))", timedOut: error.code == .timedOut)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw TransportError(url: request.url.absoluteString, reason: String(describing: error))
        }
        guard let http = response as? HTTPURLResponse else {
            throw TransportError(url: request.url.absoluteString, reason: "not an HTTP response")
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: Array(data))
    }

    /// Runs the request, but answers at once on timeout or cancellation without waiting for the
    /// URLSession task. The task itself is never cancelled: cancelling `URLSession.data(for:)` on
    /// Linux can deadlock inside FoundationNetworking when the transfer fails at the same moment
    /// (seen with a stopping daemon); an abandoned request ends by its own idle timeout.
    static func race(owner: SessionOwner, request: URLRequest, timeout: Duration, url: String) async throws -> (Data, URLResponse) {
        let outcome = RaceOutcome()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.install(continuation)
                let work = Task {
                    do { outcome.finish(.success(try await owner.session.data(for: request))) } catch { outcome.finish(.failure(error)) }
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    outcome.finish(.failure(TransportError(url: url, reason: "timed out after \(timeout)", timedOut: true)))
                }
                _ = work
                outcome.onFinish { timer.cancel() }
            }
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
    }
}

/// The URLSession of one transport, invalidated when neither the transport nor any request it
/// started still needs it. A request abandoned by `race` may start its data task after the
/// transport is gone; on an invalidated session that is a fatal error in FoundationNetworking.
final class SessionOwner: @unchecked Sendable {
    // URLSession is thread-safe; it is set once here and never mutated.
    let session: URLSession

    init(_ session: URLSession) {
        self.session = session
    }

    deinit { session.invalidateAndCancel() }
}

extension Duration {
    /// Seconds as a Double, for Foundation APIs.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}


/// The first result of a race wins; later ones are dropped.
final class RaceOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<(Data, URLResponse), any Error>?
    private var early: Result<(Data, URLResponse), any Error>?
    private var done = false
    private var cleanup: (@Sendable () -> Void)?

    func install(_ continuation: CheckedContinuation<(Data, URLResponse), any Error>) {
        let pending: Result<(Data, URLResponse), any Error>? = lock.withLock {
            if let early { done = true; return early }
            self.continuation = continuation
            return nil
        }
        if let pending { continuation.resume(with: pending) }
    }

    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let runNow = lock.withLock { () -> Bool in
            if done { return true }
            cleanup = action
            return false
        }
        if runNow { action() }
    }

    func finish(_ result: Result<(Data, URLResponse), any Error>) {
        let (target, action): (CheckedContinuation<(Data, URLResponse), any Error>?, (@Sendable () -> Void)?) = lock.withLock {
            if done { return (nil, nil) }
            guard let continuation else {
                if early == nil { early = result }
                return (nil, nil)
            }
            done = true
            self.continuation = nil
            defer { cleanup = nil }
            return (continuation, cleanup)
        }
        target?.resume(with: result)
        action?()
    }
}
