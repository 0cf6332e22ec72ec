import Foundation
import Testing
import TestSupport

/// The daemon keeps malloc to one arena (the private heap at 1,000 routes was 13.8 MB with glibc's
/// arena per thread, 9.3 MB with one), unless the operator chose the number.
@Suite(.serialized) struct MallocArenaTests {
    /// An http-mode daemon that has accepted a spec over HTTP (so the server's event loop threads
    /// and the concurrency pool have allocated), with `environment` added to the test environment
    /// without any malloc setting of its own.
    static func daemonAfterASpec(_ environment: [String: String], state: URL) async throws -> DaemonProcess {
        var changes: [String: String?] = ["MALLOC_ARENA_MAX": nil, "GLIBC_TUNABLES": nil]
        for (name, value) in environment { changes[name] = value }
        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "http", "-H", "tcp", "--tcp_check_port", "9", "-p", "\(port)", "--state-dir", state.path,
        ], changing: changes)
        guard await daemon.output(containing: "HTTP server listening") else {
            throw HarnessError("daemon did not start: \(daemon.output)")
        }
        let answer = try await HTTPProbe.request("http://127.0.0.1:\(port)/route_spec", method: "POST",
                                                 headers: ["Content-Type": "application/json"],
                                                 body: Data(#"{"10.55.16.0/24": ["10.33.20.142", "10.33.20.143"]}"#.utf8))
        #expect(answer.status == 200, "\(answer.text)")
        return daemon
    }

    @Test func theDaemonRunsOnGlibcsMainArenaAlone() async throws {
        let state = try PackagePaths.temporaryDirectory("vpcr-arenas")
        defer { try? FileManager.default.removeItem(at: state) }
        let daemon = try await Self.daemonAfterASpec([:], state: state)
        #expect(daemon.mallocArenaHeaps == 0, "arenas besides the main one: \(daemon.mallocArenaHeaps)")
        #expect(await daemon.stopped() == 0, "\(daemon.output.suffix(2000))")
    }

    /// glibc creates an arena for each thread that allocates until the limit is reached: with
    /// eight allowed, the threads that served the request have arenas of their own.
    @Test func anOperatorsArenaLimitIsLeftInForce() async throws {
        for environment in [["MALLOC_ARENA_MAX": "8"], ["GLIBC_TUNABLES": "glibc.malloc.arena_max=8"]] {
            let state = try PackagePaths.temporaryDirectory("vpcr-arenas")
            defer { try? FileManager.default.removeItem(at: state) }
            let daemon = try await Self.daemonAfterASpec(environment, state: state)
            #expect(daemon.mallocArenaHeaps > 0, "\(environment): no arena besides the main one")
            #expect(await daemon.stopped() == 0, "\(daemon.output.suffix(2000))")
        }
    }
}
