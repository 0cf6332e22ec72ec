import Foundation
import Testing
import TestSupport

/// One vpcrouter in http mode with a bearer token, shared by every test of a suite (started once
/// by the `.liveHTTPDaemon` trait) and holding a known good spec.
struct LiveHTTPDaemon: Sendable {
    static let token = "corpus-token-0123456789abcdef"
    static let goodSpec = #"{"10.55.16.0/24": ["10.33.20.142"], "10.66.0.0/16": []}"#
    /// How GET /route_spec shows `goodSpec`.
    static let goodSpecShown = "{\"10.55.16.0/24\": [\"10.33.20.142\"], \"10.66.0.0/16\": []}\n"

    let daemon: DaemonProcess
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    @TaskLocal static var current: LiveHTTPDaemon?

    static func require() throws -> LiveHTTPDaemon {
        try #require(current, "the suite must carry the .liveHTTPDaemon trait")
    }

    static func start() async throws -> LiveHTTPDaemon {
        let directory = try PackagePaths.temporaryDirectory("vpcr-http-corpus")
        let tokenFile = directory.appendingPathComponent("token")
        try Data((token + "\n").utf8).write(to: tokenFile)
        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "http", "-H", "tcp", "--tcp_check_port", "9", "-p", "\(port)", "--http-token-file", tokenFile.path,
            "--state-dir", directory.appendingPathComponent("state").path,
        ])
        guard await daemon.output(containing: "HTTP server listening") else {
            throw HarnessError("daemon did not start: \(daemon.output)")
        }
        let live = LiveHTTPDaemon(daemon: daemon, port: port)
        let answer = try await HTTPProbe.request(live.base + "/route_spec", method: "POST",
                                                 headers: ["Content-Type": "application/json", "Authorization": "Bearer \(token)"],
                                                 body: Data(goodSpec.utf8))
        guard answer.status == 200 else { throw HarnessError("the good spec was refused: \(answer.text)") }
        return live
    }

    /// The spec in force, as GET /route_spec shows it.
    func specInForce() async throws -> String {
        try await HTTPProbe.request(base + "/route_spec").text
    }
}

struct LiveHTTPDaemonTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let live = try await LiveHTTPDaemon.start()
        var failure: (any Error)?
        do {
            try await LiveHTTPDaemon.$current.withValue(live) {
                try await function()
            }
        } catch {
            failure = error
        }
        let status = await live.daemon.stopped()
        if status != 0 { Issue.record("the daemon exited with \(status) after the suite: \(live.daemon.output.suffix(2000))") }
        if let failure { throw failure }
    }
}

extension Trait where Self == LiveHTTPDaemonTrait {
    static var liveHTTPDaemon: Self { LiveHTTPDaemonTrait() }
}
