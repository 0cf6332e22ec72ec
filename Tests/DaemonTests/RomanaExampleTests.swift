import Foundation
import Testing
import TestSupport

/// Examples/RomanaMode built as a third party would, loaded with --plugin-dir, fed a Romana IPAM
/// topology through a real etcd.
@Suite(.serialized, .timeLimit(.minutes(15))) struct RomanaExampleTests {
    let port = freeLoopbackPort()
    let topologyKey = "/romana/ipam/data"

    /// The example is built once for the suite, in a scratch folder under the package's .build that
    /// later runs build incrementally (a fresh temporary folder each run left 280 MB behind).
    static let built = Task {
        try await ExamplePlugins.buildRomanaMode(scratch: PackagePaths.root.appendingPathComponent(".build/examples/RomanaMode"))
    }

    /// The spec in force, CIDR → sorted routers, once it equals `expected` (or after 60 s).
    func specInForce(becomes expected: [String: [String]]) async throws -> [String: [String]] {
        var seen: [String: [String]] = [:]
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let info = try await HTTPProbe.request("http://127.0.0.1:\(port)/route_info").json as? [String: Any]
            let spec = info?["route_spec"] as? [String: [String]] ?? [:]
            seen = spec.mapValues { $0.sorted() }
            if seen == expected { return seen }
            try await Task.sleep(for: .milliseconds(50))
        }
        return seen
    }

    @Test func topologyInEtcdBecomesTheRouteSpec() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        try await etcd.put(topologyKey, #"""
            {"networks": {"net1": {"cidr": "10.0.0.0/8", "host_groups": {
                "cidr": "10.0.0.0/8", "groups": null, "hosts": [{"ip": "192.168.99.10"}, {"ip": "192.168.99.11"}]}}}}
            """#)
        let pluginDirectory = try await Self.built.value
        let state = try PackagePaths.temporaryDirectory("vpcr-romana-state")
        let daemon = try VPCRouterUnderTest.launch([
            "--plugin-dir", pluginDirectory, "-m", "romana", "--etcd_addr", "127.0.0.1", "--etcd_port", "\(etcd.clientPort)",
            "--romana_poll_interval", "0.2", "-H", "tcp", "--tcp_check_port", "9", "-p", "\(port)", "--state-dir", state.path,
        ])
        #expect(await daemon.outputAppears("HTTP server listening"), "\(daemon.output)")
        #expect(try await specInForce(becomes: ["10.0.0.0/8": ["192.168.99.10", "192.168.99.11"]])
                == ["10.0.0.0/8": ["192.168.99.10", "192.168.99.11"]], "\(daemon.output)")

        // Nested groups: every group with a CIDR and hosts is a route, at any depth.
        try await etcd.put(topologyKey, #"""
            {"networks": {"vlanA": {"name": "vlanA", "cidr": "10.1.0.0/16", "host_groups": {"routing": "", "hosts": null, "groups": [
                {"hosts": [{"ip": "1.1.1.1"}, {"ip": "1.1.1.2"}], "cidr": "10.1.0.0/28", "groups": [
                    {"hosts": [{"ip": "2.1.1.1"}], "groups": null, "cidr": "10.1.0.64/29"}]},
                {"hosts": [{"ip": "2.2.2.2"}], "groups": null, "cidr": "10.1.0.16/28"},
                {"hosts": [], "groups": null, "cidr": "10.1.0.32/28"}]}}}}
            """#)
        let nested = ["10.1.0.0/28": ["1.1.1.1", "1.1.1.2"], "10.1.0.64/29": ["2.1.1.1"], "10.1.0.16/28": ["2.2.2.2"]]
        #expect(try await specInForce(becomes: nested) == nested, "\(daemon.output)")

        // A topology whose translation the host refuses: logged with the reason, the spec stays.
        try await etcd.put(topologyKey, #"{"networks": {"n": {"host_groups": {"cidr": "10.2.0.1/16", "hosts": [{"ip": "3.3.3.3"}]}}}}"#)
        #expect(await daemon.outputAppears("Romana topology refused; the last good spec stays in force"), "\(daemon.output)")
        #expect(daemon.output.contains("10.2.0.0/16"), "the validator's reason names the canonical CIDR")
        try await etcd.put(topologyKey, "not json")
        #expect(await daemon.outputAppears("the topology is not a JSON object"), "\(daemon.output)")
        #expect(try await specInForce(becomes: nested) == nested)
        let plugins = try await HTTPProbe.request("http://127.0.0.1:\(port)/plugins").text
        #expect(plugins.contains("romana") && plugins.contains("specs_refused"), "\(plugins)")
        #expect(daemon.stop() == 0)
    }

    /// The example links full Foundation and the daemon does not. Merely found in the plugin folder
    /// (the scan opens every plugin), it loads Foundation into a daemon running another mode. Before
    /// the daemon's entry point kept off the main actor, such a daemon could log "vpcrouter stopped"
    /// on SIGTERM and never exit (the main actor never resumed to call exit(); seen once in
    /// about seventy manual runs, so the scenario is repeated).
    @Test func aPluginLinkingFoundationInThePluginFolderLeavesShutdownWorking() async throws {
        let pluginDirectory = try await Self.built.value
        for round in 1...10 {
            let state = try PackagePaths.temporaryDirectory("vpcr-romana-state")
            let daemon = try VPCRouterUnderTest.launch([
                "--plugin-dir", pluginDirectory, "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "127.0.0.1",
                "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.2", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ])
            #expect(await daemon.outputAppears("router health changed"), "round \(round): \(daemon.output)")
            let mapped = daemon.mappedFiles
            #expect(mapped.contains("libRomanaMode.so") && mapped.contains("libFoundation.so"),
                    "the scan opened the example, which brought Foundation: \(mapped.sorted())")
            let status = daemon.stop(timeout: 30)
            #expect(status == 0 && daemon.output.contains("vpcrouter stopped"), "round \(round), SIGTERM then SIGKILL after 30 s: \(daemon.output)")
            try? FileManager.default.removeItem(at: state)
            if status != 0 { return }
        }
    }
}
