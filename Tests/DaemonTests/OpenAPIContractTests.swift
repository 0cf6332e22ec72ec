import Foundation
import Testing
import TestSupport

/// docs/openapi.yaml against a live daemon: schemathesis generates requests from the document
/// (valid and invalid ones) and checks every answer's status, content type, headers and body
/// against it. The daemon runs in http mode with a token, against moto with --dry-run, and with the
/// drainfile health plugin, so the random router IPs of generated specs are never contacted.
@Suite(.serialized, .timeLimit(.minutes(6))) struct OpenAPIContractTests {
    static let token = "openapi-contract-token-0123456789"

    @Test func theLiveAPIMatchesItsDocument() async throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-openapi")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pluginDirectory = directory.appendingPathComponent("plugins")
        let drainDirectory = directory.appendingPathComponent("drain")
        try FileManager.default.createDirectory(at: pluginDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: drainDirectory, withIntermediateDirectories: true)
        _ = try ExamplePlugins.buildDrainfile(into: pluginDirectory)
        let tokenFile = directory.appendingPathComponent("token")
        try Data(Self.token.utf8).write(to: tokenFile)

        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let fixture = try await moto.fixture()
        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "http", "-H", "drainfile", "--drain_dir", drainDirectory.path, "--plugin-dir", pluginDirectory.path,
            "-p", "\(port)", "--http-token-file", tokenFile.path, "--dry-run", "--route_recheck_interval", "0",
            "--state-dir", directory.appendingPathComponent("state").path,
        ], ec2Endpoint: moto.endpoint.absoluteString, location: ["-r", fixture.region, "-v", fixture.vpcId])
        defer { _ = daemon.stop() }
        #expect(await daemon.output(containing: "HTTP server listening"), "\(daemon.output)")
        let base = "http://127.0.0.1:\(port)"

        // Ready first (a spec, a health round, a VPC read), so /readyz answers 200 throughout.
        let first = try await HTTPProbe.request(base + "/route_spec", method: "POST", headers: [
            "Content-Type": "application/json", "Authorization": "Bearer \(Self.token)",
        ], body: Data(#"{"10.55.0.0/16": ["10.0.1.10", "10.0.2.20"]}"#.utf8))
        #expect(first.status == 200, "\(first.text)")
        var ready = false
        for _ in 0..<300 where !ready {
            ready = (try? await HTTPProbe.request(base + "/readyz"))?.status == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "\(daemon.output.suffix(2000))")

        // Every check except positive_data_acceptance: JSON Schema cannot say "no host bits set",
        // so some schema-valid specs are rightly refused (400 naming the canonical form).
        let report = directory.appendingPathComponent("junit.xml")
        let result = try await ProcessRunner.runDetached("/usr/bin/env", [
            "schemathesis", "run", PackagePaths.root.appendingPathComponent("docs/openapi.yaml").path,
            "--url", base, "--header", "Authorization: Bearer \(Self.token)",
            "--max-examples", "25", "--seed", "20261127", "--workers", "1", "--request-timeout", "10",
            "--exclude-checks", "positive_data_acceptance", "--phases", "examples,coverage,fuzzing",
            "--report", "junit", "--report-junit-path", report.path,
        ], environment: ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""]) { $1 },
           directory: directory, timeout: 300)  // its working files (.schemathesis/) stay out of the tree
        print("schemathesis:\n\(result.stdout.suffix(3000))")
        #expect(result.status == 0, "schemathesis found failures:\n\(result.stdout.suffix(6000))\n\(result.stderr.suffix(2000))")
        #expect(result.stdout.contains("passed"), "\(result.stdout.suffix(2000))")
        #expect(daemon.process.isRunning, "the daemon survived: \(daemon.output.suffix(2000))")
        #expect((try await HTTPProbe.request(base + "/healthz")).status == 200)
        #expect(await daemon.stopped() == 0)
        #expect(!daemon.output.contains(Self.token), "the token never reaches the log")
    }
}
