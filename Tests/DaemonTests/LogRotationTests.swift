import Foundation
import Testing
import TestSupport

/// `-l FILE` and logrotate: after the file is renamed and SIGHUP sent, new lines go to a new file
/// at the original path and none to the renamed one; SIGHUP never ends the daemon.
@Suite(.timeLimit(.minutes(3))) struct LogRotationTests {
    @Test func sighupReopensTheLogFileAtItsPath() async throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-logrotate")
        defer { try? FileManager.default.removeItem(at: directory) }
        let logfile = directory.appendingPathComponent("vpcrouter.log")
        let rotated = directory.appendingPathComponent("vpcrouter.log.1")
        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "http", "-H", "tcp", "--tcp_check_port", "9", "-p", "\(port)", "-l", logfile.path,
            "--state-dir", directory.appendingPathComponent("state").path,
        ])
        let read = { (url: URL) in (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
        func waitFor(_ text: String, in url: URL) async throws -> Bool {
            for _ in 0..<300 {
                if read(url).contains(text) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }
        #expect(try await waitFor("HTTP server listening", in: logfile), "\(daemon.output)")

        #expect(rename(logfile.path, rotated.path) == 0)
        #expect(kill(daemon.process.processIdentifier, SIGHUP) == 0)
        #expect(try await waitFor("log file reopened", in: logfile), "a new file at the original path")
        let post = try await HTTPProbe.request("http://127.0.0.1:\(port)/route_spec", method: "POST",
                                               headers: ["Content-Type": "application/json"], body: Data(#"{"10.9.0.0/16": []}"#.utf8))
        #expect(post.status == 200)
        #expect(try await waitFor("route spec accepted plugin.name=http", in: logfile))
        #expect(!read(rotated).contains("route spec accepted"), "nothing more goes to the renamed file")
        #expect(read(rotated).contains("HTTP server listening"), "the renamed file keeps what was written before")

        // A second rotation, and a SIGHUP without one: the daemon keeps running and logging.
        #expect(rename(logfile.path, rotated.path) == 0)
        #expect(kill(daemon.process.processIdentifier, SIGHUP) == 0)
        #expect(try await waitFor("log file reopened", in: logfile))
        #expect(kill(daemon.process.processIdentifier, SIGHUP) == 0)
        for _ in 0..<100 where read(logfile).components(separatedBy: "log file reopened").count < 3 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(read(logfile).components(separatedBy: "log file reopened").count == 3, "\(read(logfile))")
        #expect(daemon.process.isRunning)
        #expect(await daemon.stopped() == 0)
        #expect(read(logfile).contains("vpcrouter stopped"))
    }

    @Test func sighupWithStderrLoggingIsHarmless() throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-hup-stderr")
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "http", "-H", "tcp", "--tcp_check_port", "9", "-p", "\(freeLoopbackPort())",
            "--state-dir", directory.appendingPathComponent("state").path,
        ])
        #expect(daemon.waitForOutput(containing: "HTTP server listening"))
        #expect(kill(daemon.process.processIdentifier, SIGHUP) == 0)
        #expect(daemon.waitForOutput(containing: "SIGHUP received; logging to stderr, nothing to reopen"))
        #expect(daemon.process.isRunning)
        #expect(daemon.stop() == 0)
    }
}
