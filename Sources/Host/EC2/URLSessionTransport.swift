import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP(S) through URLSession (system libcurl on Linux).
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    // URLSession is thread-safe; it is only created in init and never mutated.
    private let session: URLSession
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
        session = URLSession(configuration: configuration)
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
    }

    deinit { session.invalidateAndCancel() }

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
        let session = self.session
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await withThrowingTaskGroup(of: (Data, URLResponse).self) { group in
                group.addTask { try await session.data(for: finalRequest) }
                // URLSession's resource timeout is per session; this enforces a per-request cap too.
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw TransportError(url: request.url.absoluteString, reason: "timed out after \(timeout)", timedOut: true)
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
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
}

extension Duration {
    /// Seconds as a Double, for Foundation APIs.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
