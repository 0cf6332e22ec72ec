import Foundation
import HTTPClient
import Testing
import TestSupport

@testable import EC2

/// Instance metadata is read with IMDSv2 only: when no session token can be had, the lookup fails
/// with the reason and not one GET is sent without a token (no fallback to IMDSv1).
@Suite("IMDSv2 only", .timeLimit(.minutes(1)))
struct IMDSv2OnlyTests {
    @Test func anIMDSThatRefusesTokensIsNeverAskedWithoutOne() async throws {
        let server = try await FakeMetadataServer.start(arguments: ["--v1-only", "--role", "router-role"])
        defer { server.stop() }
        let transport = CurlTransport(idleTimeout: .seconds(2), requestTimeout: .seconds(5))
        let imds = try IMDSClient(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint.absoluteString], transport: transport)
        do {
            let region = try await imds.region()
            Issue.record("read \(region) without a token")
        } catch let error as IMDSError {
            #expect(error.description.contains("token request answered HTTP 403"), "\(error)")
        }
        await #expect(throws: (any Error).self) { try await InstanceProfileCredentialsProvider(imds: imds).credentials() }
        let stats = try await server.stats()
        #expect(stats["PUT /latest/api/token"] ?? 0 >= 2)
        #expect(stats.keys.filter { $0.hasPrefix("GET /latest/") }.isEmpty, "GETs without a token: \(stats)")
    }
}
