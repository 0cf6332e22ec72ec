import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Tiny blocking-free HTTP helpers for talking to the harness' control endpoints on 127.0.0.1.
public enum LocalHTTP {
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.timeoutIntervalForResource = 30
        return URLSession(configuration: configuration)
    }()

    public static func request(_ method: String, _ url: URL, body: Data? = nil, timeout: TimeInterval = 10) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = timeout
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Polls until GET answers 200 or the deadline passes.
    public static func waitUntilReady(_ url: URL, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let answer = try? await request("GET", url, timeout: 2), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("\(url) not ready after \(timeout)")
    }
}
