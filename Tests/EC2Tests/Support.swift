import EC2
import Foundation
import HTTPClient
import Synchronization
import Testing
import TestSupport

/// The moto server and fixture of the running suite, bound by the `.moto` trait.
struct MotoContext: Sendable {
    let server: MotoServer
    let fixture: MotoFixture

    @TaskLocal static var current: MotoContext?

    static func require() throws -> MotoContext {
        try #require(current, "suite must carry the .moto trait")
    }

    func client(
        endpoint: URL? = nil, secret: String? = nil, maxResults: Int = 100, retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200)),
        mutating: APIBudget.Limits = .ec2Mutating, describe: APIBudget.Limits = .ec2Describe, idleTimeout: Duration = .seconds(5)
    ) -> EC2Client {
        let configuration = EC2ClientConfiguration(
            region: fixture.region, endpoint: endpoint ?? server.endpoint, maxResults: maxResults, retryPolicy: retry,
            mutatingLimits: mutating, describeLimits: describe, idleTimeout: idleTimeout, requestTimeout: .seconds(15))
        let credentials = AWSCredentials(accessKeyId: fixture.accessKeyId, secretAccessKey: secret ?? fixture.secretAccessKey)
        return EC2Client(configuration: configuration, credentials: StaticCredentialsProvider(credentials))
    }
}

/// Starts one moto per suite (with the standard fixture) and stops it when the suite ends.
struct MotoTrait: SuiteTrait, TestScoping {
    let verifySignatures: Bool
    let extraInstances: Int
    var completingPrefixListRoutes = false

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try await MotoServer.start(verifySignatures: verifySignatures, completingPrefixListRoutes: completingPrefixListRoutes)
        defer { server.stop() }
        let fixture = try await server.fixture(extraInstances: extraInstances)
        try await MotoContext.$current.withValue(MotoContext(server: server, fixture: fixture)) {
            try await function()
        }
    }
}

extension Trait where Self == MotoTrait {
    static func moto(verifySignatures: Bool = false, extraInstances: Int = 0, completingPrefixListRoutes: Bool = false) -> Self {
        MotoTrait(verifySignatures: verifySignatures, extraInstances: extraInstances, completingPrefixListRoutes: completingPrefixListRoutes)
    }
}

/// A transport answering from a closure, for decoding, retry and pagination tests.
final class ScriptedTransport: HTTPTransport {
    private let handler: @Sendable (HTTPRequest, Int) throws -> HTTPResponse
    private let counter = Mutex(0)
    private let bodies = Mutex<[String]>([])

    init(_ handler: @escaping @Sendable (HTTPRequest, Int) throws -> HTTPResponse) { self.handler = handler }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let index = counter.withLock { value -> Int in
            value += 1
            return value
        }
        bodies.withLock { $0.append(String(decoding: request.body, as: UTF8.self)) }
        return try handler(request, index)
    }

    var requestBodies: [String] { bodies.withLock { $0 } }

    static func xml(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "text/xml"], body: Array(text.utf8))
    }

    static func ec2Error(_ status: Int, code: String, message: String = "") -> HTTPResponse {
        xml(status, "<?xml version=\"1.0\"?><Response><Errors><Error><Code>\(code)</Code><Message>\(message)</Message></Error></Errors><RequestID>req-1</RequestID></Response>")
    }
}

func scriptedClient(_ transport: ScriptedTransport, clock: ManualClock = ManualClock(autoAdvance: true), retry: RetryPolicy = RetryPolicy(maxAttempts: 4), maxResults: Int = 100) -> EC2Client {
    EC2Client(
        configuration: EC2ClientConfiguration(region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:9")!, maxResults: maxResults, retryPolicy: retry),
        credentials: StaticCredentialsProvider(AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret")),
        transport: transport, clock: clock)
}
