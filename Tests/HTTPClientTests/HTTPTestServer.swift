import Foundation
import HTTPClient
import TestSupport

/// `Tests/Tools/httptestserver.py` on a free loopback port: keep-alive, trickled and stalled
/// answers, bodies of any size, and counts of the connections it accepted.
final class HTTPTestServer: Sendable {
    struct Stats: Decodable, Equatable {
        let connections: Int
        let requests: Int
        /// Trickled or stalled answers the server is still holding open.
        let openTransfers: Int

        enum CodingKeys: String, CodingKey {
            case connections, requests
            case openTransfers = "open_transfers"
        }
    }

    let process: ManagedProcess
    /// A transport of its own for the control calls, so they never share the tested one's connections.
    private let control = CurlTransport(idleTimeout: .seconds(5), requestTimeout: .seconds(10))

    private init(process: ManagedProcess) {
        self.process = process
    }

    static func start() async throws -> HTTPTestServer {
        let process = try ManagedProcess(
            name: "httptestserver", command: ["python3", ToolPaths.tool("httptestserver.py"), "--port", "{PORT}"])
        let server = HTTPTestServer(process: process)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let answer = try? await server.control.send(HTTPRequest(method: "GET", url: server.url("/__health"))), answer.status == 200 {
                return server
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("httptestserver did not answer; log: \(process.logPath)")
    }

    func url(_ pathAndQuery: String) -> URL {
        URL(string: "http://127.0.0.1:\(process.port)\(pathAndQuery)")!
    }

    func stats() async throws -> Stats {
        let answer = try await control.send(HTTPRequest(method: "GET", url: url("/__stats")))
        return try JSONDecoder().decode(Stats.self, from: Data(answer.body))
    }

    /// Polls the server's counts until `condition` holds or `timeout` passes; the last counts either way.
    func waitForStats(timeout: Duration = .seconds(20), _ condition: (Stats) -> Bool) async throws -> Stats {
        let deadline = ContinuousClock.now + timeout
        var latest = try await stats()
        while !condition(latest), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            latest = try await stats()
        }
        return latest
    }

    func stop() { process.stop() }
}
