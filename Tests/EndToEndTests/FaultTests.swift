import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// Faults from EC2 (through the fault proxy) and from the routers (network namespaces): the
    /// daemon keeps running, changes no route on a failed or partial read, and converges once the
    /// fault ends.
    @Suite(.serialized, .timeLimit(.minutes(10))) struct FaultTests {
        let cidr = IPCIDR("10.58.0.0/16")!
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"
        /// Router D of the fixture, in subnet a beside A.
        let routerD = "10.0.1.40"

        func startDaemon(_ fixture: MotoFixture, ec2Endpoint: URL, hosts: [String], port: Int = freeLoopbackPort()) throws -> DaemonProcess {
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-faults")
            return try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", hosts.joined(separator: ":"), "-H", "icmpecho", "--icmp_check_interval", "0.2",
                "--health-fall", "2", "--route_recheck_interval", "5", "-p", "\(port)", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: ec2Endpoint.absoluteString))
        }

        static let writeActions = ["CreateRoute", "ReplaceRoute", "DeleteRoute"]

        @Test func ec2FaultsChangeNoRouteAndTheDaemonConvergesAfterAnOutage() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            let routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.acquire()
            defer { routers.remove() }
            try routers.add(routerA)
            try routers.add(routerB)
            let daemon = try startDaemon(fixture, ec2Endpoint: proxy.endpoint, hosts: [routerA, routerB])
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            guard let carrier = first[0] ?? nil, let carrierIP = enis[carrier] else {
                Issue.record("routes not created: \(first)\n\(daemon.output)")
                return
            }

            // Each fault for longer than one recheck, while the routes are right: nothing is written.
            let faults: [(String, [String: Any])] = [
                ("a third of the answers 503", ["error503": 0.33]),
                ("half the answers malformed XML", ["malformed": 0.5]),
                ("half the answers truncated", ["truncated": 0.5]),
                ("half the answers HTML error pages", ["html": 0.5]),
                ("half the answers empty", ["empty": 0.5]),
                ("half the connections reset", ["reset": 0.5]),
                ("every answer slower than the client's timeout", ["delay": 6.0]),
            ]
            for (fault, configuration) in faults {
                try await proxy.resetStats()
                try await proxy.configure(configuration)
                try await Task.sleep(for: .seconds(7))
                try await proxy.configure([:])
                let stats = try await proxy.stats()
                #expect((stats.categories["describe"]?.count ?? 0) > 0, "\(fault): the daemon kept reading")
                #expect(Self.writeActions.allSatisfy { stats.actions[$0] == nil }, "\(fault): \(stats.actions.mapValues(\.count))")
                #expect(daemon.process.isRunning, "\(fault)")
                #expect(try await routes.targets() == first, "\(fault)")
            }

            // A 60 s outage during which the carrying router dies: no write gets through, and once
            // EC2 answers again the route moves within a recheck.
            try await proxy.configure(["reset": 1.0])
            try routers.kill(carrierIP)
            try await Task.sleep(for: .seconds(60))
            #expect(try await routes.targets() == first, "nothing could be written during the outage")
            try await proxy.configure([:])
            let other = enis.keys.first { $0 != carrier }!
            #expect(try await routes.waitForTargets(in: [other], timeout: .seconds(30)) == [other, other], "\(daemon.output)")
            let output = daemon.output
            #expect(output.contains("VPC observation failed; no route is changed on a failed read"), "\(output)")
            #expect(!output.contains("NOTICE vpcrouter: delete"), "\(output)")
            #expect(daemon.stop() == 0, "\(output)")
        }

        @Test func allRoutersDownKeepsTheRouteUntilOneReturns() async throws {
            let lab = try await TwoRouterLab.start(cidr: cidr)
            defer { lab.stop() }
            let (moto, fixture, routes, routers) = (lab.moto, lab.fixture, lab.routes, lab.routers)
            let port = freeLoopbackPort()
            let daemon = try startDaemon(fixture, ec2Endpoint: moto.endpoint, hosts: [routerA, routerB], port: port)
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            guard let carrier = first[0] ?? nil, let carrierIP = enis[carrier] else {
                Issue.record("routes not created: \(first)\n\(daemon.output)")
                return
            }
            let other = enis.keys.first { $0 != carrier }!
            // The spare dies first, so the route has nowhere to go when its carrier follows.
            try routers.kill(enis[other]!)
            try await Task.sleep(for: .seconds(1))
            try routers.kill(carrierIP)
            #expect(daemon.waitForOutput(containing: "no eligible router: "), "\(daemon.output)")
            let reported = try await eventually(.seconds(15), every: .milliseconds(200)) {
                let vpc = try await HTTPProbe.request("http://127.0.0.1:\(port)/vpc")
                return vpc.text.contains("no eligible router")
            }
            #expect(reported, "/vpc says so")
            #expect(try await routes.targets() == first, "the route stays where it was")

            try routers.revive(enis[other]!)
            #expect(try await routes.waitForTargets(in: [other]) == [other, other], "\(daemon.output)")
            #expect(daemon.stop() == 0)
        }

        /// The host running vpcrouter loses its path to subnet a (an nft rule drops what it sends
        /// there): routers A and D look dead from here, and the route must end on B, never on the
        /// other router of the lost subnet.
        @Test func losingThePathToOneSubnetMovesRoutesToTheOther() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.acquire()
            defer { routers.remove() }
            try routers.add(routerA)
            try routers.add(routerD)
            try routers.add(routerB)
            let daemon = try startDaemon(fixture, ec2Endpoint: moto.endpoint, hosts: [routerA, routerD, routerB])
            let first = try await routes.waitForTargets(in: [fixture.eniA, fixture.eniD, fixture.eniB])
            // Rendezvous hashing puts this CIDR on a router of subnet a, so the loss must move it.
            #expect(first[0] != nil && first[0] != fixture.eniB, "\(first)\n\(daemon.output)")
            let table = "vpcrsubnet\(UInt16.random(in: 0...UInt16.max))"
            try routers.sh("nft add table ip \(table)")
            defer { _ = try? routers.sh("nft delete table ip \(table)") }
            try routers.sh("nft 'add chain ip \(table) out { type filter hook output priority 0; }'")
            try routers.sh("nft add rule ip \(table) out ip daddr 10.0.1.0/24 drop")
            let moved = try await routes.waitForTargets(in: [fixture.eniB])
            #expect(moved == [fixture.eniB, fixture.eniB], "\(daemon.output)")
            // Two rechecks later it is still there, and nothing chose A or D on the way.
            try await Task.sleep(for: .seconds(10))
            #expect(try await routes.targets() == [fixture.eniB, fixture.eniB])
            let output = daemon.output
            let movesIntoSubnetA = output.split(separator: "\n").filter {
                $0.contains("NOTICE vpcrouter: replace") && ($0.contains("router.new=\"\(routerA) ") || $0.contains("router.new=\"\(routerD) "))
            }
            #expect(movesIntoSubnetA.isEmpty, "\(movesIntoSubnetA)")
            #expect(daemon.stop() == 0)
        }

        /// A host clock 15 minutes behind EC2's: EC2 refuses every request as expired until the
        /// daemon signs with EC2's time (learnt from the refusal's Date header) and says why.
        @Test func aHostClockOffFromEC2sIsCorrectedAndExplained() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            try await proxy.configure(["clock_offset": 900])
            let routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.acquire()
            defer { routers.remove() }
            try routers.add(routerA)
            try routers.add(routerB)
            let daemon = try startDaemon(fixture, ec2Endpoint: proxy.endpoint, hosts: [routerA, routerB])
            let targets = try await routes.waitForTargets(in: [fixture.eniA, fixture.eniB], timeout: .seconds(60))
            #expect(targets.allSatisfy { $0 != nil }, "\(daemon.output)")
            #expect(daemon.output.contains("this host's clock is off from EC2's"), "\(daemon.output)")
            // Learnt, not worked around call by call: after the first refusals, a recheck's reads
            // all pass.
            let before = try await proxy.stats()
            #expect((before.categories["describe"]?.faulted ?? 0) >= 1, "EC2 refused the first requests")
            try await Task.sleep(for: .seconds(6))
            let after = try await proxy.stats()
            #expect((after.categories["describe"]?.forwarded ?? 0) > (before.categories["describe"]?.forwarded ?? 0), "the daemon kept reading")
            #expect(after.categories["describe"]?.faulted == before.categories["describe"]?.faulted, "\(after.actions.mapValues(\.faulted))")
        }
    }
}
