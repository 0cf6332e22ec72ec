import Foundation
import Testing
import TestSupport

/// The etcd mode in a live daemon against a real etcd: the spec in force is read back from
/// `/route_info` and the daemon's log.
@Suite(.serialized, .timeLimit(.minutes(5))) struct EtcdModeTests {
    let port = freeLoopbackPort()
    let key = "/vpcrouter/test/spec"

    func start(_ endpoints: String, extra: [String] = []) async throws -> DaemonProcess {
        let state = try PackagePaths.temporaryDirectory("vpcr-etcd-state")
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "etcd", "--etcd-endpoints", endpoints, "--etcd-key", key,
            "-H", "tcp", "--tcp_check_port", "9", "-p", "\(port)", "--state-dir", state.path,
        ] + extra)
        #expect(await daemon.outputAppears("HTTP server listening"), "\(daemon.output)")
        return daemon
    }

    /// Polls until the spec in force has exactly these CIDRs (or 30 s pass); returns what it saw.
    func specInForce(becomes cidrs: [String]) async throws -> [String] {
        var seen: [String] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let info = try await HTTPProbe.request("http://127.0.0.1:\(port)/route_info").json as? [String: Any]
            seen = ((info?["route_spec"] as? [String: Any])?.keys).map { $0.sorted() } ?? []
            if seen == cidrs { return seen }
            try await Task.sleep(for: .milliseconds(50))
        }
        return seen
    }

    /// The daemon's log line containing `text`, once it appears.
    func logLine(_ daemon: DaemonProcess, containing text: String) async -> String? {
        guard await daemon.outputAppears(text) else { return nil }
        return daemon.output.split(separator: "\n").first { $0.contains(text) }.map(String.init)
    }

    @Test func followsTheKeyAndKeepsTheLastGoodSpec() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await etcd.put(key, #"{"10.1.0.0/16": ["10.0.0.5"]}"#)
        let daemon = try await start(etcd.endpoint)
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"], "the value present at start\n\(daemon.output)")
        #expect(await daemon.outputAppears("spec.generation=1"))

        try await etcd.put(key, #"{"10.2.0.0/16": ["10.0.0.5", "10.0.0.6"]}"#)
        #expect(try await specInForce(becomes: ["10.2.0.0/16"]) == ["10.2.0.0/16"], "a changed value\n\(daemon.output)")
        #expect(await daemon.outputAppears("spec.generation=2"), "a change is a new generation")

        let badRevision = try await etcd.put(key, #"{"10.3.0.1/16": ["10.0.0.5"]}"#)
        let refusal = await logLine(daemon, containing: "etcd value refused; the last good spec stays in force")
        #expect(refusal?.contains("etcd.key=\(key)") == true, "the refusal names the key: \(refusal ?? daemon.output)")
        #expect(refusal?.contains("etcd.mod_revision=\(badRevision)") == true, "and the revision: \(refusal ?? "")")
        #expect(refusal?.contains("10.3.0.0/16") == true, "and the validator's reason: \(refusal ?? "")")
        #expect(try await specInForce(becomes: ["10.2.0.0/16"]) == ["10.2.0.0/16"], "a refused value keeps the last good spec")

        let deleteRevision = try await etcd.delete(key)
        let deletion = await logLine(daemon, containing: "etcd key deleted; the last good spec stays in force")
        #expect(deletion?.contains("etcd.mod_revision=\(deleteRevision)") == true, "\(deletion ?? daemon.output)")
        #expect(try await specInForce(becomes: ["10.2.0.0/16"]) == ["10.2.0.0/16"], "deletion keeps the last good spec")

        try await etcd.put(key, #"{"10.4.0.0/16": ["10.0.0.5"]}"#)
        #expect(try await specInForce(becomes: ["10.4.0.0/16"]) == ["10.4.0.0/16"], "re-created after deletion\n\(daemon.output)")
        let plugins = try await HTTPProbe.request("http://127.0.0.1:\(port)/plugins").text
        #expect(plugins.contains("specs_refused"), "\(plugins)")
        #expect(daemon.stop() == 0)
    }

    @Test func reconnectsAcrossEndpointsAndAnEtcdRestart() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        // The first endpoint never answers: the plugin moves on to the second.
        let daemon = try await start("http://127.0.0.1:9,\(etcd.endpoint)")
        #expect(await daemon.outputAppears("etcd unreachable"), "the dead endpoint is reported\n\(daemon.output)")
        try await etcd.put(key, #"{"10.1.0.0/16": ["10.0.0.5"]}"#)
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"], "\(daemon.output)")

        let outages = daemon.output.components(separatedBy: "etcd unreachable").count - 1
        etcd.stop()
        let deadline = ContinuousClock.now + .seconds(30)
        while daemon.output.components(separatedBy: "etcd unreachable").count - 1 == outages, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(daemon.output.components(separatedBy: "etcd unreachable").count - 1 > outages, "the outage is reported\n\(daemon.output)")
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"], "the spec stays during the outage")

        try await etcd.restart()
        try await etcd.put(key, #"{"10.9.0.0/16": ["10.0.0.5"]}"#)
        #expect(try await specInForce(becomes: ["10.9.0.0/16"]) == ["10.9.0.0/16"], "a change after the restart\n\(daemon.output)")
        #expect(daemon.output.contains("etcd reachable again"))
        #expect(daemon.stop() == 0)
    }

    @Test func aHungEtcdIsNoticedByTheResync() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.resume(); etcd.stop() }
        try await etcd.put(key, #"{"10.1.0.0/16": ["10.0.0.5"]}"#)
        let daemon = try await start(etcd.endpoint, extra: ["--etcd-resync-interval", "1"])
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"], "\(daemon.output)")
        // A paused etcd keeps the watch connection open and silent: only the resync can notice.
        etcd.pause()
        #expect(await daemon.outputAppears("etcd unreachable"), "the hang is reported\n\(daemon.output)")
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"], "the spec stays while etcd hangs")
        etcd.resume()
        try await etcd.put(key, #"{"10.7.0.0/16": ["10.0.0.5"]}"#)
        #expect(try await specInForce(becomes: ["10.7.0.0/16"]) == ["10.7.0.0/16"], "followed again\n\(daemon.output)")
        #expect(await daemon.outputAppears("etcd reachable again"))
        #expect(daemon.stop() == 0)
    }

    /// The follower's watch is open and silent (etcd paused), its resync a minute away: stopping
    /// must cancel it at once rather than wait for the resync or a request timeout, well inside
    /// the host's 5 s stop deadline.
    @Test func stopsAtOnceWhileTheWatchHangs() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.resume(); etcd.stop() }
        try await etcd.put(key, #"{"10.1.0.0/16": ["10.0.0.5"]}"#)
        let daemon = try await start(etcd.endpoint, extra: ["--etcd-resync-interval", "60"])
        #expect(try await specInForce(becomes: ["10.1.0.0/16"]) == ["10.1.0.0/16"], "\(daemon.output)")
        etcd.pause()
        try await Task.sleep(for: .milliseconds(500))
        let stopping = ContinuousClock.now
        #expect(await daemon.stopped() == 0, "\(daemon.output)")
        let elapsed = ContinuousClock.now - stopping
        // Without the cancellation the host would wait out its 5 s stop deadline and log the warning.
        #expect(elapsed < .seconds(10), "stopping took \(elapsed)")
        #expect(daemon.output.contains("plugin stopped"), "\(daemon.output)")
        #expect(!daemon.output.contains("did not stop by the deadline"), "\(daemon.output)")
    }

    @Test func refusesUnusableOptions() throws {
        let missingKey = try VPCRouterUnderTest.run(["-m", "etcd", "-H", "tcp", "-p", "\(port)"])
        #expect(missingKey.status == 2, "\(missingKey.stderr)")
        #expect(missingKey.stderr.contains("etcd-key"), "\(missingKey.stderr)")

        let state = try PackagePaths.temporaryDirectory("vpcr-etcd-state")
        let tls = try VPCRouterUnderTest.run([
            "-m", "etcd", "--etcd-endpoints", "https://127.0.0.1:2379", "--etcd-key", key, "-H", "tcp",
            "-p", "\(port)", "--state-dir", state.path,
        ])
        #expect(tls.status == 2, "an option value the plugin refuses is a usage error: \(tls.stderr)")
        #expect(tls.stderr.contains("--etcd-endpoints: 'https://127.0.0.1:2379' is not an http://host:port URL"), "\(tls.stderr)")

        let badHost = try VPCRouterUnderTest.run([
            "-m", "etcd", "--etcd-endpoints", "http://etcd one:2379", "--etcd-key", key, "-H", "tcp",
            "-p", "\(port)", "--state-dir", state.path,
        ])
        #expect(badHost.status == 2, "a host no URL can hold is refused at start, not a crash later: \(badHost.stderr)")
        #expect(badHost.stderr.contains("--etcd-endpoints: 'http://etcd one:2379' is not an http://host:port URL"), "\(badHost.stderr)")
    }
}
