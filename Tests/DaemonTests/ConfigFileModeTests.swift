import Foundation
import Testing
import TestSupport

/// The configfile mode in a live daemon, through every way a file can change. The spec in force
/// is read back from `/route_info`.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ConfigFileModeTests {
    let port = freeLoopbackPort()
    let directory: URL
    let file: URL

    init() throws {
        directory = try PackagePaths.temporaryDirectory("vpcr-configfile")
        file = directory.appendingPathComponent("spec.json")
    }

    func start() throws -> DaemonProcess {
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "configfile", "-f", file.path, "-H", "tcp", "--tcp_check_port", "9", "-p", "\(port)",
            "--state-dir", directory.appendingPathComponent("state").path,
        ])
        #expect(daemon.waitForOutput(containing: "HTTP server listening"))
        return daemon
    }

    func write(_ text: String, to url: URL? = nil) throws {
        try Data(text.utf8).write(to: url ?? file)
    }

    /// Polls until the spec in force has exactly these CIDRs (or 5 s pass); returns what it saw.
    func specInForce(becomes cidrs: [String]) async throws -> [String] {
        var seen: [String] = []
        for _ in 0..<100 {
            let info = try await HTTPProbe.request("http://127.0.0.1:\(port)/route_info").json as? [String: Any]
            seen = ((info?["route_spec"] as? [String: Any])?.keys).map { $0.sorted() } ?? []
            if seen == cidrs { return seen }
            try await Task.sleep(for: .milliseconds(50))
        }
        return seen
    }

    @Test func followsEveryKindOfChangeAndKeepsTheLastGoodSpec() async throws {
        let daemon = try start()
        #expect(daemon.waitForOutput(containing: "config file does not exist yet; waiting for it"))
        try write(#"{"10.1.0.0/16": ["10.0.0.5"]}"#)
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"], "created after start")

        try write(#"{"10.2.0.0/16": ["10.0.0.5"]}"#)
        #expect(try await specInForce(becomes: ["10.2.0.0/16"]) == ["10.2.0.0/16"], "in-place write")

        let temporary = directory.appendingPathComponent(".spec.json.tmp")
        try write(#"{"10.3.0.0/16": ["10.0.0.5"]}"#, to: temporary)
        #expect(rename(temporary.path, file.path) == 0)
        #expect(try await specInForce(becomes: ["10.3.0.0/16"]) == ["10.3.0.0/16"], "atomic rename over the file")

        try write("garbage {")
        #expect(daemon.waitForOutput(containing: "config file ignored; the last good spec stays in force"))
        #expect(try await specInForce(becomes: ["10.3.0.0/16"]) == ["10.3.0.0/16"], "garbage keeps the last good spec")

        try FileManager.default.removeItem(at: file)
        #expect(daemon.waitForOutput(containing: "config file cannot be read; the last good spec stays in force"))
        #expect(try await specInForce(becomes: ["10.3.0.0/16"]) == ["10.3.0.0/16"], "deletion keeps the last good spec")

        // Kubernetes ConfigMap layout: spec.json -> ..data/spec.json, ..data -> a timestamped directory.
        let first = directory.appendingPathComponent("..2026_01")
        try FileManager.default.createDirectory(at: first, withIntermediateDirectories: true)
        try write(#"{"10.4.0.0/16": ["10.0.0.5"]}"#, to: first.appendingPathComponent("spec.json"))
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("..data").path, withDestinationPath: "..2026_01")
        try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: "..data/spec.json")
        #expect(try await specInForce(becomes: ["10.4.0.0/16"]) == ["10.4.0.0/16"], "re-created as a ConfigMap symlink")
        let second = directory.appendingPathComponent("..2026_02")
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        try write(#"{"10.5.0.0/16": ["10.0.0.5"]}"#, to: second.appendingPathComponent("spec.json"))
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("..data_tmp").path, withDestinationPath: "..2026_02")
        #expect(rename(directory.appendingPathComponent("..data_tmp").path, directory.appendingPathComponent("..data").path) == 0)
        #expect(try await specInForce(becomes: ["10.5.0.0/16"]) == ["10.5.0.0/16"], "ConfigMap ..data symlink swap")
        #expect(daemon.stop() == 0)
    }

    /// Another file in the spec's directory changing all the time (a log beside it) must not hold a
    /// change of the spec back: it is read while the other writer is still going.
    @Test func aBusyDirectoryDoesNotHoldBackAChange() async throws {
        try write(#"{"10.1.0.0/16": ["10.0.0.5"]}"#)
        let daemon = try start()
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"])
        let neighbour = directory.appendingPathComponent("neighbour.log")
        let busy = Task {
            while !Task.isCancelled {
                try? Data("line\n".utf8).write(to: neighbour)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { busy.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        try write(#"{"10.2.0.0/16": ["10.0.0.5"]}"#)
        #expect(try await specInForce(becomes: ["10.2.0.0/16"]) == ["10.2.0.0/16"], "\(daemon.output)")
        busy.cancel()
        #expect(daemon.stop() == 0)
    }

    @Test func aBurstOfWritesCoalesces() async throws {
        try write(#"{"10.1.0.0/16": ["10.0.0.5"]}"#)
        let daemon = try start()
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"])
        for index in 0..<50 {
            try write("{\"10.\(100 + index).0.0/16\": [\"10.0.0.5\"]}")
        }
        #expect(try await specInForce(becomes: ["10.149.0.0/16"]) == ["10.149.0.0/16"])
        try await Task.sleep(for: .milliseconds(300))
        let accepted = daemon.output.components(separatedBy: "route spec accepted plugin.name=configfile").count - 1
        #expect(accepted < 10, "50 writes in a burst were read \(accepted) times")
        #expect(daemon.stop() == 0)
    }
}
