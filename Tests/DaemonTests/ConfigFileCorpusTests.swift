import Foundation
import Testing
import TestSupport

/// A configfile-mode daemon given garbage in its file: every case logs one line that names the
/// file and the reason, and the last good spec stays in force (read back from /route_info).
@Suite(.serialized, .timeLimit(.minutes(5))) struct ConfigFileCorpusTests {
    static let cases = Corpus.cases(target: "DaemonTests", set: "configfile")
    static let specFiles = Corpus.directory(target: "RouteModelTests", set: "routespec")
    static let goodSpec = #"{"10.42.0.0/16": ["10.0.0.5"]}"#

    @Test func theCorpusIsComplete() {
        #expect(Self.cases.count >= 20)
    }

    @Test func everyBadFileIsLoggedAndTheLastGoodSpecStays() async throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-configfile-corpus")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("spec.json")
        try Data(Self.goodSpec.utf8).write(to: file)
        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "configfile", "-f", file.path, "-H", "tcp", "--tcp_check_port", "9", "-p", "\(port)",
            "--state-dir", directory.appendingPathComponent("state").path,
        ])
        defer { _ = daemon.stop() }
        #expect(await daemon.output(containing: "route spec accepted plugin.name=configfile"), "\(daemon.output)")

        /// Lines of the log that report a refused or unreadable file.
        func problemLines() -> [Substring] {
            daemon.output.split(separator: "\n").filter { $0.contains("config file ignored") || $0.contains("config file cannot be read") }
        }
        func waitForNewProblem(after count: Int) async throws -> Substring? {
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline {
                let lines = problemLines()
                if lines.count > count { return lines[count] }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
        func specInForce() async throws -> [String] {
            let info = try await HTTPProbe.request("http://127.0.0.1:\(port)/route_info").json as? [String: Any]
            return ((info?["route_spec"] as? [String: Any])?.keys).map { $0.sorted() } ?? []
        }
        func replace(with bytes: [UInt8]) throws {
            try Data(bytes).write(to: file)
        }

        for testCase in Self.cases {
            let before = problemLines().count
            switch testCase.name {
            case "special:deleted":
                try FileManager.default.removeItem(at: file)
            case "special:directory":
                try FileManager.default.removeItem(at: file)
                try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
            case "special:dangling-symlink":
                try FileManager.default.removeItem(at: file)
                try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: "nowhere/spec.json")
            default:
                let bytes = try [UInt8](Data(contentsOf: Self.specFiles.appendingPathComponent(testCase.name)))
                try replace(with: bytes)
            }
            let line = try await waitForNewProblem(after: before)
            #expect(line != nil, "\(testCase.name): no log line\n\(daemon.output.suffix(1500))")
            if let line {
                #expect(line.contains("config.file=\(file.path)"), "\(testCase.name): \(line)")
                #expect(line.contains(testCase.column(0)), "\(testCase.name): \(line)")
                #expect(line.contains("reason="), "\(testCase.name): \(line)")
            }
            #expect(try await specInForce() == ["10.42.0.0/16"], "\(testCase.name): the last good spec stays in force")
            if testCase.name.hasPrefix("special:") {
                // End the outage, so the next unreadable case is reported again.
                if (try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) != nil || FileManager.default.fileExists(atPath: file.path) {
                    try FileManager.default.removeItem(at: file)
                }
                let count = problemLines().count
                try replace(with: Array("{\"after-\(testCase.name)\": []}".utf8))
                _ = try await waitForNewProblem(after: count)
            }
        }
        #expect(daemon.process.isRunning, "the daemon survived every case")
        #expect(await daemon.stopped() == 0)
    }
}
