import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// Routers in order of preference through the real daemon, moto and routers in network
    /// namespaces: the route goes to the first listed router, fails over to the backup when it
    /// dies, stays on the backup when it comes back (no fail-back by default), and with
    /// `--fail-back-after` returns once the preferred router has been healthy for the hold time,
    /// once, even after it has flapped for half a minute.
    @Suite(.serialized, .timeLimit(.minutes(8))) struct PreferenceFailBackTests {
        let cidr = IPCIDR("10.55.0.0/16")!
        /// The fixture's router A (subnet a) and router B (subnet b); see Tests/Tools/motofixture.py.
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"
        /// Fast probes; a failed router is eligible again 0.5 s after its last failed round (and
        /// two healthy rounds), so the fail-back hold is what keeps a flapping router's route away.
        let health = ["-H", "icmpecho", "--icmp_check_interval", "0.2", "--health-fall", "2", "--health-hold-down", "0.5"]

        func launch(_ mode: [String], moto: MotoServer, fixture: MotoFixture, port: Int) throws -> DaemonProcess {
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-preference")
            return try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "--route_recheck_interval", "5", "-p", "\(port)", "--state-dir", state.path,
            ] + health + mode, environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString))
        }

        /// `/route_info`'s preference object for the CIDR, once one shows.
        func preference(port: Int) async -> [String: Any]? {
            guard let answer = try? await HTTPProbe.request("http://127.0.0.1:\(port)/route_info"),
                  let document = answer.json as? [String: Any], let cidrs = document["cidrs"] as? [String: Any],
                  let entry = cidrs[cidr.description] as? [String: Any] else { return nil }
            return entry["preference"] as? [String: Any]
        }

        /// For each fail-back pass in the log, the seconds from the preferred router's last turn to
        /// healthy before it to the write (from the log's own timestamps).
        func failBackDelays(_ output: String, router: String) -> [Double] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            var healthyAt: Date?
            var delays: [Double] = []
            for line in output.split(separator: "\n") {
                guard let stamp = line.split(separator: " ").first, let time = formatter.date(from: String(stamp)) else { continue }
                if line.contains("health.to=healthy router.ip=\(router)") {
                    healthyAt = time
                } else if line.contains("NOTICE vpcrouter: replace") && line.contains("reason=\"fail-back"), let since = healthyAt {
                    delays.append(time.timeIntervalSince(since))
                    healthyAt = nil  // the other table's write of the same pass
                }
            }
            return delays
        }

        /// Route writes the daemon logged (one per table and move); fail-backs among them.
        func writes(_ output: String) -> (all: Int, failBacks: Int) {
            let lines = output.split(separator: "\n").filter { $0.contains("NOTICE vpcrouter: replace") }
            return (lines.count, lines.filter { $0.contains("reason=\"fail-back") }.count)
        }

        @Test func fixedconfPreferenceFailsOverAndStaysOnTheBackupWithoutFailBack() async throws {
            let lab = try await TwoRouterLab.start(cidr: cidr)
            defer { lab.stop() }
            let (moto, fixture, routes, routers) = (lab.moto, lab.fixture, lab.routes, lab.routers)
            let port = freeLoopbackPort()
            // B first: the order given, not the hash, picks the router.
            let daemon = try launch(["-m", "fixedconf", "--fixed_cidr", cidr.description, "--fixed_hosts", "\(routerB):\(routerA)",
                                     "--fixed_order", "preference"], moto: moto, fixture: fixture, port: port)
            defer { _ = daemon.stop() }

            let first = try await routes.waitForTargets(in: [fixture.eniB])
            #expect(first == [fixture.eniB, fixture.eniB], "on the first router listed\n\(daemon.output)")
            // The status follows once the pass that wrote the routes has seen them.
            let shownFirst = try await eventually(.seconds(15)) {
                let preferred = await preference(port: port)
                return preferred?["preferred"] as? String == routerB && preferred?["carrier"] as? String == routerB
                    && preferred?["reason"] as? String == "on the preferred router \(routerB)"
            }
            let firstPreference = await preference(port: port) ?? [:]
            #expect(shownFirst, "\(firstPreference)")

            try routers.kill(routerB)
            let moved = try await routes.waitForTargets(in: [fixture.eniA])
            #expect(moved == [fixture.eniA, fixture.eniA], "failed over to the backup\n\(daemon.output)")

            try routers.revive(routerB)
            let held = "held on backup \(routerA) (choice 2 of 2): preferred router \(routerB) is healthy and fail-back is off"
            let shown = try await eventually(.seconds(20)) { await preference(port: port)?["reason"] as? String == held }
            let shownPreference = await preference(port: port) ?? [:]
            #expect(shown, "\(shownPreference)\n\(daemon.output.suffix(3000))")
            // /vpc says the same on the CIDR's route in each managed table.
            let vpc = try await HTTPProbe.request("http://127.0.0.1:\(port)/vpc").json as? [String: Any]
            let tables = (vpc?["route_tables"] as? [String: Any])?.values.compactMap { $0 as? [String: Any] } ?? []
            let onRoutes = tables.compactMap { (($0["routes"] as? [String: Any])?[cidr.description] as? [String: Any])?["preference"] as? [String: Any] }
            #expect(onRoutes.count == 2 && onRoutes.allSatisfy { $0["carrier"] as? String == routerA && $0["reason"] as? String == held },
                    "\(onRoutes)")
            // Past a recheck and many health rounds: still on the backup.
            try await Task.sleep(for: .seconds(7))
            #expect(try await routes.targets() == [fixture.eniA, fixture.eniA], "\(daemon.output.suffix(3000))")
            #expect(writes(daemon.output) == (2, 0), "one move, written to each table; no fail-back\n\(daemon.output)")
            #expect(daemon.stop() == 0)
        }

        @Test func failBackAfterTheHoldTimeAndOnlyOnceWhileThePreferredRouterFlaps() async throws {
            let lab = try await TwoRouterLab.start(cidr: cidr)
            defer { lab.stop() }
            let (moto, fixture, routes, routers) = (lab.moto, lab.fixture, lab.routes, lab.routers)
            let directory = try PackagePaths.temporaryDirectory("vpcr-e2e-failback")
            let file = directory.appendingPathComponent("spec.json")
            try Data(#"{"\#(cidr)": {"routers": ["\#(routerA)", "\#(routerB)"], "order": "preference"}}"#.utf8).write(to: file)
            let port = freeLoopbackPort()
            let hold = 3.0
            let daemon = try launch(["-m", "configfile", "-f", file.path, "--fail-back-after", "\(hold)"],
                                    moto: moto, fixture: fixture, port: port)
            defer { _ = daemon.stop() }

            #expect(try await routes.waitForTargets(in: [fixture.eniA]) == [fixture.eniA, fixture.eniA], "\(daemon.output)")
            try routers.kill(routerA)
            #expect(try await routes.waitForTargets(in: [fixture.eniB]) == [fixture.eniB, fixture.eniB], "\(daemon.output)")

            // Revived: back on A only after it has been healthy for the hold time.
            try routers.revive(routerA)
            let revived = ContinuousClock.now
            let back = try await routes.waitForTargets(in: [fixture.eniA], timeout: .seconds(30))
            let backAfter = ContinuousClock.now - revived
            #expect(back == [fixture.eniA, fixture.eniA], "\(daemon.output.suffix(4000))")
            #expect(backAfter >= .seconds(hold), "fail-back after \(backAfter), before the hold time")
            let firstDelays = failBackDelays(daemon.output, router: routerA)
            print("fail-back: preferred router revived to route back on it: \(backAfter); "
                  + "healthy to fail-back write: \(firstDelays) s (hold \(hold) s)")
            // The planner's own guarantee, from the log: the write comes at least the hold time
            // after the router's last turn to healthy (less a margin for the log line's own delay).
            #expect(firstDelays.count == 1 && firstDelays.allSatisfy { $0 >= hold - 0.25 }, "\(firstDelays)")
            #expect(writes(daemon.output) == (4, 2), "failover and fail-back, each written to both tables\n\(daemon.output)")
            let onPreferred = try await eventually(.seconds(10)) {
                await preference(port: port)?["reason"] as? String == "on the preferred router \(routerA)"
            }
            let preferenceNow = await preference(port: port) ?? [:]
            #expect(onPreferred, "\(preferenceNow)")

            // A flaps every second for 30 s: down 1 s, up 1 s. It never stays healthy for the hold
            // time, so the route leaves it once and comes back once, after the flapping stops.
            let before = writes(daemon.output)
            let flapping = ContinuousClock.now
            var sawHeld = false
            var lastRevived = ContinuousClock.now
            while ContinuousClock.now - flapping < .seconds(30) {
                try routers.kill(routerA)
                try await Task.sleep(for: .seconds(1))
                try routers.revive(routerA)
                lastRevived = .now
                try await Task.sleep(for: .seconds(1))
                if let reason = await preference(port: port)?["reason"] as? String, reason.hasPrefix("held on backup \(routerB)") {
                    sawHeld = true
                }
            }
            let duringFlapping = writes(daemon.output)
            let settled = try await routes.waitForTargets(in: [fixture.eniA], timeout: .seconds(30))
            let settledAfter = ContinuousClock.now - lastRevived
            // Past the hold time and a recheck: nothing more moves.
            try await Task.sleep(for: .seconds(6))
            let after = writes(daemon.output)
            let failBacksWhileFlapping = duringFlapping.failBacks - before.failBacks
            let moves = (after.all - before.all) / 2
            let delays = failBackDelays(daemon.output, router: routerA)
            print("flapping fail-back: preferred router flapped 1 s down / 1 s up for 30 s: \(moves) route moves "
                  + "(\(failBacksWhileFlapping) fail-backs while flapping); back on it \(settledAfter) after its last revival; "
                  + "healthy to fail-back write: \(delays.last ?? -1) s")
            #expect(delays.count == 2 && delays.allSatisfy { $0 >= hold - 0.25 }, "\(delays)")
            #expect(settled == [fixture.eniA, fixture.eniA], "\(daemon.output.suffix(4000))")
            #expect(sawHeld, "while A flapped, the status said the route was held on the backup")
            #expect(failBacksWhileFlapping == 0, "no fail-back while the router flaps\n\(daemon.output.suffix(6000))")
            #expect(after.failBacks - before.failBacks == 2, "one fail-back, written to both tables\n\(daemon.output.suffix(6000))")
            #expect(after.all - before.all == 4, "one failover and one fail-back, each to both tables\n\(daemon.output.suffix(6000))")
            #expect(settledAfter >= .seconds(hold))
            #expect(daemon.stop() == 0)
        }
    }
}
