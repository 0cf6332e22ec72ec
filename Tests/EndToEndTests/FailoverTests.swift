import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// The main job, end to end: moto as EC2 (checking signatures and IAM), routers as network
    /// namespaces probed with icmpecho, and the vpcrouter binary creating routes, failing over when
    /// the router carrying them dies, repairing a route changed by hand, and adopting correct routes
    /// after a restart without writing.
    @Suite(.serialized, .timeLimit(.minutes(5))) struct FailoverTests {
        let cidr = IPCIDR("10.55.0.0/16")!
        /// The fixture's router A (subnet a) and router B (subnet b); see Tests/Tools/motofixture.py.
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        func environment(_ moto: MotoServer, _ fixture: MotoFixture) -> [String: String] {
            var environment = VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString)
            environment["AWS_ACCESS_KEY_ID"] = fixture.routerAccessKeyId
            environment["AWS_SECRET_ACCESS_KEY"] = fixture.routerSecretAccessKey
            return environment
        }

        @Test func createsFailsOverRepairsAndAdopts() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let fixture = try await moto.fixture()
            let ec2 = moto.client(for: fixture)
            let routes = FixtureRoutes(client: ec2, fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.acquire()
            defer { routers.remove() }
            try routers.add(routerA)
            try routers.add(routerB)
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-state")
            let arguments = [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "icmpecho", "--icmp_check_interval", "0.2",
                "--health-fall", "2", "--route_recheck_interval", "5", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ]
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, arguments, environment: environment(moto, fixture))

            // Routes are created in both tables, on one router.
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            #expect(Set(first).count == 1 && first[0] != nil, "created: \(first)\n\(daemon.output)")
            guard let carrier = first[0] ?? nil, let carrierIP = enis[carrier] else { return }

            // The process an operator runs, with every plugin of its plugin folder opened, maps no
            // full Foundation, ICU or FoundationNetworking (issue 17): its requests were signed and
            // its answers decoded with FoundationEssentials alone.
            let mapped = daemon.mappedFiles
            #expect(mapped.contains("libFoundationEssentials.so") && mapped.contains("libICMPHealth.so"), "\(mapped.sorted())")
            let heavy = mapped.filter {
                ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so", "libFoundationNetworking.so",
                 "libFoundationXML.so"].contains($0)
            }
            #expect(heavy.isEmpty, "mapped: \(heavy.sorted())")
            let other = enis.keys.first { $0 != carrier }!

            // The carrying router dies: the route moves to the other one.
            let killed = ContinuousClock.now
            try routers.kill(carrierIP)
            let moved = try await routes.waitForTargets(in: [other])
            let failoverTime = ContinuousClock.now - killed
            #expect(moved == [other, other], "failed over: \(moved)\n\(daemon.output)")
            print("failover: router death to route visible in moto: \(failoverTime)")
            // With fall 2, the route moves once the router has failed two rounds in a row (a
            // single lost round only makes it suspect); the log says why, and how long the write
            // took after the health change.
            let failoverLog = daemon.output
            #expect(failoverLog.contains("reason=\"router \(carrierIP) is questionable") || failoverLog.contains("reason=\"router \(carrierIP) failed\""), "\(failoverLog)")
            #expect(failoverLog.contains("failover written"), "\(failoverLog)")

            // A route changed by hand is repaired within one recheck.
            try await ec2.replaceRoute(routeTableId: fixture.routeTableA, destination: cidr, networkInterfaceId: fixture.eniD)
            let repaired = try await routes.waitForTargets(in: [other], timeout: .seconds(15))
            #expect(repaired == [other, other], "repaired: \(repaired)")
            #expect(daemon.stop() == 0)

            // A restart against correct tables adopts them without a single write.
            let writesBefore = daemon.output.components(separatedBy: "NOTICE vpcrouter: replace").count - 1
            #expect(writesBefore >= 3, "two failover writes and one repair")
            let second = try DaemonProcess(PackagePaths.vpcrouter, arguments, environment: environment(moto, fixture))
            #expect(second.waitForOutput(containing: "ownership ledger loaded ledger.routes=2"))
            try await Task.sleep(for: .seconds(3))
            let output = second.output
            #expect(!output.contains("NOTICE vpcrouter: create") && !output.contains("NOTICE vpcrouter: replace"), "\(output)")
            #expect(try await routes.targets() == [other, other])
            #expect(second.stop() == 0)
        }

        /// A router whose link flaps every 0.5 s for 10 s moves the route away once (one write per
        /// table) and never back: it is held down while it flaps, and there is no fail-back.
        @Test func aFlappingRouterMovesTheRouteOnce() async throws {
            let lab = try await TwoRouterLab.start(cidr: cidr)
            defer { lab.stop() }
            let (moto, fixture, routes, routers) = (lab.moto, lab.fixture, lab.routes, lab.routers)
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-state")
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "icmpecho", "--icmp_check_interval", "0.2",
                "--health-fall", "2", "--route_recheck_interval", "5", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString))
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            guard let carrier = first[0] ?? nil, let carrierIP = enis[carrier] else {
                Issue.record("routes not created: \(first)\n\(daemon.output)")
                return
            }
            let other = enis.keys.first { $0 != carrier }!
            for _ in 0..<10 {
                try routers.kill(carrierIP)
                try await Task.sleep(for: .milliseconds(500))
                try routers.revive(carrierIP)
                try await Task.sleep(for: .milliseconds(500))
            }
            // Two more rechecks, so any move still to come has happened.
            try await Task.sleep(for: .seconds(10))
            let output = daemon.output
            let moves = output.components(separatedBy: "NOTICE vpcrouter: replace").count - 1
            #expect(moves == 2, "one move, written to each of the two tables\n\(output)")
            #expect(try await routes.targets() == [other, other], "\(output)")
            #expect(output.contains("router.ip=\(carrierIP)"), "the flapping is in the log")
            #expect(daemon.stop() == 0)
        }

        /// A failover does not wait for a new read of the VPC: the move is planned from the last
        /// observation and written first, and only then are the tables read again. Seen at the
        /// fault proxy, the first request after the router dies is the ReplaceRoute.
        @Test func failoverIsWrittenBeforeTheVPCIsReadAgain() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            let ec2 = moto.client(for: fixture)
            let routes = FixtureRoutes(client: ec2, fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.acquire()
            defer { routers.remove() }
            try routers.add(routerA)
            try routers.add(routerB)
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-state")
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "icmpecho", "--icmp_check_interval", "0.2",
                "--health-fall", "3", "--route_recheck_interval", "600", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: proxy.endpoint.absoluteString))
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            guard let carrier = first[0] ?? nil, let carrierIP = enis[carrier] else {
                Issue.record("routes not created: \(first)\n\(daemon.output)")
                return
            }
            // Let the pass that created the routes finish its re-reads.
            try await proxy.waitUntilQuiet()
            try await proxy.resetStats()

            try routers.kill(carrierIP)
            let other = enis.keys.first { $0 != carrier }!
            #expect(try await routes.waitForTargets(in: [other]) == [other, other], "\(daemon.output)")
            let stats = try await proxy.stats()
            let replaces = stats.actions["ReplaceRoute"]?.times ?? []
            let reads = stats.actions.filter { $0.key.hasPrefix("Describe") }.flatMap(\.value.times)
            #expect(replaces.count == 2, "one move per table: \(stats.actions.mapValues(\.count))")
            if let firstWrite = replaces.min(), let firstRead = reads.min() {
                #expect(firstWrite < firstRead, "requests after the router died: \(stats.actions.mapValues(\.times))")
            }
            #expect(daemon.waitForOutput(containing: "failover visible"), "\(daemon.output)")
            #expect(daemon.stop() == 0)
        }

        /// A second router failure does not queue behind the wait for the first failover to show:
        /// the fault proxy keeps route table reads stale for 9 s after a write (EC2's eventual
        /// consistency), and the new carrier dies right after the first move. The second move must
        /// come well before the first one's writes are visible (the wait is bounded at 10 s).
        @Test func aSecondFailureIsNotHeldBehindTheFirstOnesVisibilityWait() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            let routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr)
            let routerC = "10.0.1.30"
            let routers = try await RouterNamespaces.acquire()
            defer { routers.remove() }
            for router in [routerA, routerB, routerC] { try routers.add(router) }
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-state")
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB):\(routerC)", "-H", "icmpecho", "--icmp_check_interval", "0.2",
                "--health-fall", "3", "--route_recheck_interval", "600", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: proxy.endpoint.absoluteString))
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB, fixture.eniC: routerC]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            guard let carrier = first[0] ?? nil, let carrierIP = enis[carrier] else {
                Issue.record("routes not created: \(first)\n\(daemon.output)")
                return
            }
            // Let the pass that created the routes finish its re-reads, then make reads stale.
            try await proxy.waitUntilQuiet()
            try await proxy.configure(["stale_reads": 9])

            try routers.kill(carrierIP)
            let second = try await routes.waitForTargets(in: Set(enis.keys).subtracting([carrier]))
            guard let newCarrier = second[0] ?? nil, let newCarrierIP = enis[newCarrier] else {
                Issue.record("no failover from \(carrierIP): \(second)\n\(daemon.output)")
                return
            }
            let killed = ContinuousClock.now
            try routers.kill(newCarrierIP)
            let last = Set(enis.keys).subtracting([carrier, newCarrier])
            let third = try await routes.waitForTargets(in: last)
            let took = ContinuousClock.now - killed
            #expect(third == [last.first, last.first], "\(daemon.output)")
            // Detection takes about 3 probes (0.6 s); the stale window alone would hold it ~9 s.
            #expect(took < .seconds(6), "the second failover took \(took)\n\(daemon.output.suffix(4000))")
            #expect(daemon.stop() == 0)
        }
    }
}
