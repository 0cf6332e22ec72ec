import Foundation
import Synchronization

/// A private single-member etcd on free loopback ports with a temporary data directory, stopped
/// by `stop()` or when the tests exit. `restart()` brings it back on the same ports and data, so
/// clients can be tested across an outage. Keys are read and written through the v3 JSON gateway.
public final class EtcdServer: Sendable {
    public let clientPort: Int
    private let peerPort: Int
    private let dataDirectory: URL
    private let process: Mutex<ManagedProcess?>

    /// The client URL, as given to `--etcd-endpoints`.
    public var endpoint: String { "http://127.0.0.1:\(clientPort)" }

    private init(process: ManagedProcess, peerPort: Int, dataDirectory: URL) {
        clientPort = process.port
        self.peerPort = peerPort
        self.dataDirectory = dataDirectory
        self.process = Mutex(process)
    }

    public static func start() async throws -> EtcdServer {
        // On tmpfs when there is one: etcd syncs its log on every write, which on a busy shared
        // disk stalls requests for seconds (long enough to cost a leader its lease).
        let shm = URL(fileURLWithPath: "/dev/shm")
        let dataDirectory = FileManager.default.isWritableFile(atPath: shm.path)
            ? shm.appendingPathComponent("vpcrouter-etcd-data-\(UUID().uuidString.prefix(8))")
            : try ToolPaths.makeTemporaryDirectory(prefix: "vpcrouter-etcd-data")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let peerPort = freeLoopbackPort()
        let process = try launch(clientPort: nil, peerPort: peerPort, dataDirectory: dataDirectory)
        let server = EtcdServer(process: process, peerPort: peerPort, dataDirectory: dataDirectory)
        try await server.waitUntilHealthy()
        return server
    }

    private static func launch(clientPort: Int?, peerPort: Int, dataDirectory: URL) throws -> ManagedProcess {
        let peer = "http://127.0.0.1:\(peerPort)"
        return try ManagedProcess(name: "etcd", command: [
            "etcd", "--name", "test", "--data-dir", dataDirectory.appendingPathComponent("member").path,
            "--listen-client-urls", "http://127.0.0.1:{PORT}", "--advertise-client-urls", "http://127.0.0.1:{PORT}",
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "test=\(peer)",
        ], port: clientPort)
    }

    /// Polls GET /health with a fresh session per attempt (a shared session that got stuck on an
    /// earlier refused connection must not decide readiness).
    private func waitUntilHealthy() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var last = "no answer"
        while ContinuousClock.now < deadline {
            do {
                let answer = try await HTTPProbe.request("\(endpoint)/health", timeout: 2)
                if answer.status == 200 && answer.text.contains("true") { return }
                last = "HTTP \(answer.status) \(answer.text)"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = process.withLock { $0?.logTail() } ?? ""
        stop()
        throw HarnessError("etcd did not become healthy in 60 s (\(last)); log: \(log)")
    }

    /// SIGTERM to etcd; its data stays for `restart()`.
    public func stop() {
        let running = process.withLock { current -> ManagedProcess? in
            defer { current = nil }
            return current
        }
        running?.stop()
    }

    /// SIGSTOP: etcd keeps its connections open and answers nothing, like a hung member.
    public func pause() {
        if let pid = process.withLock({ $0?.helperPID }) { kill(pid, SIGSTOP) }
    }

    public func resume() {
        if let pid = process.withLock({ $0?.helperPID }) { kill(pid, SIGCONT) }
    }

    /// Starts etcd again on the same ports with the same data.
    public func restart() async throws {
        stop()
        let next = try Self.launch(clientPort: clientPort, peerPort: peerPort, dataDirectory: dataDirectory)
        process.withLock { $0 = next }
        try await waitUntilHealthy()
    }

    /// Stops etcd for good and removes its data (on tmpfs it holds a 61 MB preallocated log).
    public func discard() {
        resume()
        stop()
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    deinit { discard() }

    // MARK: - Keys

    /// Writes a value; returns the store revision of the write (the key's new mod revision).
    @discardableResult
    public func put(_ key: String, _ value: String) async throws -> Int64 {
        let answer = try await call("/v3/kv/put", ["key": Self.base64(key), "value": Self.base64(value)])
        return Self.revision(of: answer)
    }

    /// Deletes a key; returns the store revision of the delete.
    @discardableResult
    public func delete(_ key: String) async throws -> Int64 {
        let answer = try await call("/v3/kv/deleterange", ["key": Self.base64(key)])
        return Self.revision(of: answer)
    }

    /// The key's value, or nil when it does not exist.
    public func get(_ key: String) async throws -> String? {
        let answer = try await call("/v3/kv/range", ["key": Self.base64(key)])
        guard let kv = (answer["kvs"] as? [[String: Any]])?.first else { return nil }
        guard let value = kv["value"] as? String else { return "" }
        return Data(base64Encoded: value).map { String(decoding: $0, as: UTF8.self) }
    }

    /// One gateway call; throws unless etcd answers 200 with a JSON object.
    public func call(_ path: String, _ request: [String: Any]) async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: request)
        let answer = try await HTTPProbe.request(endpoint + path, method: "POST", headers: ["Content-Type": "application/json"], body: body)
        guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else {
            throw HarnessError("etcd \(path): HTTP \(answer.status) \(answer.text)")
        }
        return object
    }

    public static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    private static func revision(of answer: [String: Any]) -> Int64 {
        ((answer["header"] as? [String: Any])?["revision"] as? String).flatMap { Int64($0) } ?? 0
    }
}
