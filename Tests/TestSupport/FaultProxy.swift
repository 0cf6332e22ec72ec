import Foundation

/// `Tests/Tools/faultproxy.py` in front of an upstream (moto), configurable at runtime.
public final class FaultProxy: Sendable {
    public let process: ManagedProcess
    public let endpoint: URL

    private init(process: ManagedProcess) {
        self.process = process
        endpoint = URL(string: "http://127.0.0.1:\(process.port)")!
    }

    public static func start(upstream: URL) async throws -> FaultProxy {
        let process = try ManagedProcess(
            name: "faultproxy", command: ["python3", ToolPaths.tool("faultproxy.py"), "--upstream", upstream.absoluteString, "--port", "{PORT}"])
        let proxy = FaultProxy(process: process)
        try await LocalHTTP.waitUntilReady(proxy.endpoint.appendingPathComponent("__health"))
        return proxy
    }

    /// Replaces the fault configuration; see faultproxy.py for the keys. `[:]` turns faults off.
    public func configure(_ configuration: [String: Any]) async throws {
        let body = try JSONSerialization.data(withJSONObject: configuration)
        let answer = try await LocalHTTP.request("POST", endpoint.appendingPathComponent("__fault"), body: body)
        guard answer.status == 200 else { throw HarnessError("fault proxy refused configuration: HTTP \(answer.status)") }
    }

    /// EC2's default buckets: mutating 50 burst / 5 per s, describe 100 / 20.
    public static var ec2Throttling: [String: Any] { [
        "throttle": ["mutating": ["burst": 50, "rate": 5], "describe": ["burst": 100, "rate": 20]],
    ] }

    public func stats() async throws -> FaultProxyStats {
        let answer = try await LocalHTTP.request("GET", endpoint.appendingPathComponent("__stats"))
        return try JSONDecoder().decode(FaultProxyStats.self, from: answer.body)
    }

    /// The SigV4 signatures of the requests proxied so far (the last 1000).
    public func signatures() async throws -> [String] {
        let answer = try await LocalHTTP.request("GET", endpoint.appendingPathComponent("__signatures"))
        let document = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        return document?["signatures"] as? [String] ?? []
    }

    /// The route writes forwarded so far, in order (with `"record_writes": true` configured).
    public func writes() async throws -> [FaultProxyWrite] {
        let answer = try await LocalHTTP.request("GET", endpoint.appendingPathComponent("__writes"))
        struct Document: Decodable { let writes: [FaultProxyWrite] }
        return try JSONDecoder().decode(Document.self, from: answer.body).writes
    }

    /// Returns once a second passes with no new request: the daemon's pass in flight is over.
    public func waitUntilQuiet() async throws {
        var settled = -1
        while try await stats().total != settled {
            settled = try await stats().total
            try await Task.sleep(for: .seconds(1))
        }
    }

    public func resetStats() async throws {
        _ = try await LocalHTTP.request("POST", endpoint.appendingPathComponent("__stats/reset"))
    }

    public func stop() { process.stop() }
}

/// GET /__stats of the fault proxy.
public struct FaultProxyStats: Decodable, Sendable {
    public struct Entry: Decodable, Sendable {
        public let count: Int
        public let throttled: Int
        public let faulted: Int
        public let forwarded: Int
        /// Arrival times (seconds, monotonic) of requests forwarded upstream.
        public let times: [Double]
        /// The same arrivals as Unix time, to compare with the daemon's log timestamps.
        public let wall: [Double]
    }

    public let total: Int
    public let actions: [String: Entry]
    public let categories: [String: Entry]

    /// The most requests forwarded in any window of `window` seconds.
    public static func busiestWindow(_ times: [Double], window: Double) -> Int {
        let sorted = times.sorted()
        var best = 0
        var start = 0
        for end in sorted.indices {
            while sorted[end] - sorted[start] > window { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }
}

/// One CreateRoute, ReplaceRoute or DeleteRoute the fault proxy forwarded (GET /__writes).
public struct FaultProxyWrite: Decodable, Sendable, CustomStringConvertible {
    public let action: String
    public let table: String
    public let cidr: String
    /// The target the write asked for (none for a delete).
    public let eni: String?
    /// The route's target read from the upstream just before the write (nil: no route).
    public let previous: String?
    /// The upstream's HTTP status.
    public let status: Int?
    public let wall: Double

    public var description: String {
        "\(action) \(table) \(cidr) \(previous ?? "none") -> \(eni ?? "none") (HTTP \(status.map(String.init) ?? "?"))"
    }
}
