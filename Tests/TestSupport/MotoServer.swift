import EC2
import Foundation

/// A private `moto_server` on a free loopback port, stopped by `stop()` or when the tests exit.
public final class MotoServer: Sendable {
    public let process: ManagedProcess
    public let endpoint: URL
    /// Whether moto checks signatures and IAM (INITIAL_NO_AUTH_ACTION_COUNT=3).
    public let verifiesSignatures: Bool

    private init(process: ManagedProcess, verifiesSignatures: Bool) {
        self.process = process
        self.verifiesSignatures = verifiesSignatures
        endpoint = URL(string: "http://127.0.0.1:\(process.port)")!
    }

    /// Starts moto and waits for GET /moto-api/. With `verifySignatures` the first three calls are
    /// free (the fixture spends them on IAM), after which only real IAM keys are accepted.
    ///
    /// With `completingPrefixListRoutes` moto runs through Tests/Tools/motoprefixlists.py, which
    /// makes a route to a managed prefix list describe, replace and delete as EC2 does (moto 5.2.1
    /// stores one created with an ENI target without its destination); nothing else differs.
    public static func start(verifySignatures: Bool = false, completingPrefixListRoutes: Bool = false) async throws -> MotoServer {
        var environment: [String: String] = [:]
        if verifySignatures { environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "3" }
        let command = completingPrefixListRoutes
            ? ["python3", ToolPaths.tool("motoprefixlists.py"), "-H", "127.0.0.1", "-p", "{PORT}"]
            : ["moto_server", "-H", "127.0.0.1", "-p", "{PORT}"]
        let process = try ManagedProcess(name: "moto", command: command, environment: environment)
        let server = MotoServer(process: process, verifiesSignatures: verifySignatures)
        do {
            try await LocalHTTP.waitUntilReady(server.endpoint.appendingPathComponent("moto-api/"))
        } catch {
            server.stop()
            throw HarnessError("moto did not come up: \(error); log: \(process.logTail())")
        }
        return server
    }

    /// Builds the standard VPC (see motofixture.py); this also warms moto's EC2 backend.
    public func makeFixture(extraInstances: Int = 0) throws -> MotoFixture {
        var arguments = [endpoint.absoluteString, "--instances", String(extraInstances)]
        if verifiesSignatures { arguments.append("--iam") }
        let output = try PythonTool.run("motofixture.py", arguments: arguments)
        return try JSONDecoder().decode(MotoFixture.self, from: output)
    }

    /// `makeFixture` on a thread of its own, for async tests (the fixture script takes seconds).
    public func fixture(extraInstances: Int = 0) async throws -> MotoFixture {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try self.makeFixture(extraInstances: extraInstances) })
            }
        }
    }

    /// Clears all state (POST /moto-api/reset).
    public func reset() async throws {
        _ = try await LocalHTTP.request("POST", endpoint.appendingPathComponent("moto-api/reset"))
    }

    public func stop() { process.stop() }

    /// An EC2 client signed with the fixture's IAM user, for checking what the daemon wrote.
    public func client(for fixture: MotoFixture) -> EC2Client {
        EC2Client(configuration: EC2ClientConfiguration(region: fixture.region, endpoint: endpoint),
                  credentials: StaticCredentialsProvider(AWSCredentials(accessKeyId: fixture.accessKeyId, secretAccessKey: fixture.secretAccessKey)))
    }
}

/// Ids of what motofixture.py created.
public struct MotoFixture: Decodable, Sendable {
    /// The fixture administrator's key (every action): for tests that set things up or check them.
    public let accessKeyId: String
    public let secretAccessKey: String
    /// The daemon's key: with signature checks on, it carries only the policy in docs/iam-policy.json.
    public let routerAccessKeyId: String
    public let routerSecretAccessKey: String
    /// Temporary credentials of a role with the same policy (a session token; empty without IAM checks).
    public let sessionAccessKeyId: String
    public let sessionSecretAccessKey: String
    public let sessionToken: String
    public let region: String
    public let vpcId: String
    public let subnetA: String
    public let subnetB: String
    public let routerA: String
    public let eniA: String
    public let routerB: String
    public let eniB: String
    /// The IPv6 addresses of router A's and router B's ENIs (ULA, on the subnets' /64s).
    public let routerAIPv6: String
    public let routerBIPv6: String
    public let routerC: String
    public let eniC: String
    public let eniC2: String
    public let routerD: String
    public let eniD: String
    public let extraInstances: [String]
    public let routeTableA: String
    public let routeTableB: String
    public let mainRouteTable: String
}
