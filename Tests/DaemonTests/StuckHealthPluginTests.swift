import Foundation
import Testing
import TestSupport

/// A health plugin whose probe never returns, through the real daemon: the rounds give no opinion,
/// the log names the plugin, `/metrics` shows how old health is, `/readyz` fails once it is stale,
/// SIGTERM still ends the daemon cleanly, and `vpcrouter plan` keeps to `--plan-timeout`.
@Suite(.serialized) struct StuckHealthPluginTests {
    let pluginDirectory: URL

    init() throws {
        pluginDirectory = try PackagePaths.temporaryDirectory("vpcr-stuck")
        _ = try ExamplePlugins.buildStuckHealth(into: pluginDirectory)
    }

    func arguments(stuckAfter: Int, port: Int? = nil) throws -> [String] {
        let state = try PackagePaths.temporaryDirectory("vpcr-stuck-state")
        return ["-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.0.1.10:10.0.2.20",
                "-H", "stuck", "--stuck_after", "\(stuckAfter)", "--stuck_interval", "0.2",
                "--plugin-dir", pluginDirectory.path, "--state-dir", state.path] + (port.map { ["-p", "\($0)"] } ?? [])
    }

    /// `vpcr_target.instance_id` carries the instance EC2 reports behind each router, once the
    /// daemon has read the VPC.
    @Test func probeTargetsCarryTheRoutersInstanceIds() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let fixture = try await moto.fixture()
        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch(try arguments(stuckAfter: 1_000_000, port: port), ec2Endpoint: moto.endpoint.absoluteString,
                                                   location: ["-r", fixture.region, "-v", fixture.vpcId])
        let expected = "10.0.1.10=\(fixture.routerA) 10.0.2.20=\(fixture.routerB)"
        var seen = ""
        let carried = try await eventually(.seconds(30)) {
            let answer = try await HTTPProbe.request("http://127.0.0.1:\(port)/plugins")
            let stuck = (answer.json as? [String: Any])?["stuck"] as? [String: Any]
            seen = (stuck?["stats"] as? [String: Any])?["targets"] as? String ?? ""
            return seen == expected
        }
        #expect(carried, "the plugin saw '\(seen)', not '\(expected)'\n\(daemon.output)")
        #expect(await daemon.stopped(timeout: 20) == 0)
    }

    @Test func aHungProbeIsReportedHealthTurnsStaleAndSIGTERMStillEndsTheDaemon() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let fixture = try await moto.fixture()
        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch(try arguments(stuckAfter: 5, port: port), ec2Endpoint: moto.endpoint.absoluteString,
                                                   location: ["-r", fixture.region, "-v", fixture.vpcId])
        let base = "http://127.0.0.1:\(port)"
        // Ready first: five answered rounds, a spec and a read of moto.
        let ready = try await eventually(.seconds(30)) { try await HTTPProbe.request(base + "/readyz").status == 200 }
        #expect(ready, "\(daemon.output)")

        // Then the probe hangs: the log names the plugin, and within a few intervals (stale after
        // 3 × 0.2 s + 0.1 s + 1 s grace) /readyz says health is stale.
        #expect(await daemon.output(containing: "health plugin did not answer within its deadline", timeout: .seconds(15)), "\(daemon.output)")
        #expect(daemon.output.contains("plugin.name=stuck"), "\(daemon.output)")
        let stale = try await eventually(.seconds(15)) {
            let answer = try await HTTPProbe.request(base + "/readyz")
            return answer.status == 503 && answer.text.contains("fresh health results")
        }
        let readiness = try await HTTPProbe.request(base + "/readyz").text
        #expect(stale, "\(readiness)")
        let metrics = try await HTTPProbe.request(base + "/metrics").text
        let age = metrics.split(separator: "\n").first { $0.hasPrefix("vpcrouter_health_round_age_seconds ") }
            .flatMap { Double($0.split(separator: " ")[1]) }
        #expect((age ?? 0) > 1.5, "\(metrics)")
        #expect(metrics.contains("vpcrouter_health_rounds_unanswered_total "), "\(metrics)")
        // Status pages still answer while the probe hangs.
        #expect(try await HTTPProbe.request(base + "/ips").status == 200)
        #expect(try await HTTPProbe.request(base + "/plugins").status == 200)

        // SIGTERM ends it with 0 within the graceful window, without the cancellation crash.
        let stopping = ContinuousClock.now
        let status = await daemon.stopped(timeout: 20)
        let took = ContinuousClock.now - stopping
        #expect(status == 0, "exit \(status) after \(took):\n\(daemon.output.suffix(3000))")
        #expect(took < .seconds(10), "took \(took)")
        #expect(!daemon.output.contains("Cancellation took longer than allowed"))
    }

    @Test func aVerdictOutsideTheABIIsNoOpinionAndSaidOnce() async throws {
        var options = try arguments(stuckAfter: 1_000_000, port: freeLoopbackPort())
        options += ["--stuck_verdict", "7"]
        let daemon = try VPCRouterUnderTest.launch(options)
        let message = "health plugin returned a verdict outside the ABI's values"
        #expect(await daemon.output(containing: message, timeout: .seconds(30)), "\(daemon.output)")
        // Ten more rounds: still said once, and the routers stay unjudged (no opinion).
        try await Task.sleep(for: .seconds(2))
        let output = daemon.output
        #expect(output.components(separatedBy: message).count - 1 == 1, "\(output)")
        #expect(output.contains("verdict.value=7"), "\(output)")
        #expect(!output.contains("router health changed"), "\(output)")
        #expect(await daemon.stopped() == 0)
    }

    @Test func planKeepsToItsTimeoutWhenTheProbeHangs() async throws {
        let started = ContinuousClock.now
        let result = try await VPCRouterUnderTest.runDetached(
            ["plan", "--plan-timeout", "3"] + VPCRouterUnderTest.location + (try arguments(stuckAfter: 0)), location: [], timeout: 30)
        let took = ContinuousClock.now - started
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("a completed health round"), "\(result.stderr)")
        #expect(took < .seconds(8), "plan took \(took) with --plan-timeout 3")
    }

    /// A round in which the probe returned an error is no opinion: it does not complete the first
    /// round, so `plan` (with a VPC it can read) still waits for health and keeps to its timeout.
    @Test func aFailedProbeDoesNotCompleteTheFirstRound() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let fixture = try await moto.fixture()
        let result = try await ProcessRunner.runDetached(
            PackagePaths.vpcrouter,
            ["plan", "--plan-timeout", "3", "-r", fixture.region, "-v", fixture.vpcId]
                + (try arguments(stuckAfter: 1_000_000)) + ["--stuck_fail", "1000000"],
            environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString), timeout: 30)
        #expect(result.status == 1, "exit \(result.status)\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("a completed health round"), "\(result.stderr)")
        #expect(result.stderr.contains("failing on purpose"), "\(result.stderr)")
    }
}

/// Polls `condition` until it holds or `timeout` passes.
private func eventually(_ timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        // A refused connection (the server not up yet) is just "not yet".
        if (try? await condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}
