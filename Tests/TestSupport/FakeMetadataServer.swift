import Foundation

/// `Tests/Tools/fakemetadata.py`: an IMDSv2 endpoint and a container credentials endpoint.
public final class FakeMetadataServer: Sendable {
    public let process: ManagedProcess
    public let endpoint: URL

    private init(process: ManagedProcess) {
        self.process = process
        endpoint = URL(string: "http://127.0.0.1:\(process.port)")!
    }

    /// `arguments` are fakemetadata.py options, e.g. ["--role", "router", "--vpc", "vpc-1"].
    public static func start(arguments: [String] = []) async throws -> FakeMetadataServer {
        let process = try ManagedProcess(
            name: "fakemetadata", command: ["python3", ToolPaths.tool("fakemetadata.py"), "--port", "{PORT}"] + arguments)
        let server = FakeMetadataServer(process: process)
        try await LocalHTTP.waitUntilReady(server.endpoint.appendingPathComponent("__health"))
        return server
    }

    /// Request counts keyed "METHOD /path".
    public func stats() async throws -> [String: Int] {
        let answer = try await LocalHTTP.request("GET", endpoint.appendingPathComponent("__stats"))
        return (try JSONSerialization.jsonObject(with: answer.body) as? [String: Int]) ?? [:]
    }

    public func stop() { process.stop() }
}
