import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// A dual-stack spec through the real daemon and plugins, moto and routers in network
    /// namespaces answering on both families: an IPv4 and an IPv6 CIDR get their routes on the
    /// routers' ENIs (the IPv6 one written with DestinationIpv6CidrBlock, the routers named by their
    /// ENIs' IPv6 addresses and probed with ICMPv6), and a router's death moves both.
    @Suite(.serialized, .timeLimit(.minutes(5))) struct DualStackTests {
        let v4 = IPCIDR("10.55.0.0/16")!
        let v6 = IPCIDR("2600:1f18::/56")!
        let routerA = TwoRouterLab.routerA
        let routerB = TwoRouterLab.routerB

        @Test func aDualStackSpecCreatesBothFamiliesRoutesAndARouterDeathMovesBoth() async throws {
            let lab = try await TwoRouterLab.start(cidr: v4, dualStack: true)
            defer { lab.stop() }
            let (moto, fixture, routers) = (lab.moto, lab.fixture, lab.routers)
            let v4Routes = lab.routes
            let v6Routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: v6)
            let directory = try PackagePaths.temporaryDirectory("vpcr-e2e-dualstack")
            let file = directory.appendingPathComponent("spec.json")
            // Both CIDRs prefer router A, so one death must move both.
            try Data("""
                {"\(v4)": {"routers": ["\(routerA)", "\(routerB)"], "order": "preference"},
                 "\(v6)": {"routers": ["\(fixture.routerAIPv6)", "\(fixture.routerBIPv6)"], "order": "preference"}}
                """.utf8).write(to: file)
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-dualstack-state")
            let port = freeLoopbackPort()
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "configfile", "-f", file.path,
                "-H", "icmpecho", "--icmp_check_interval", "0.2", "--health-fall", "2",
                "--route_recheck_interval", "5", "-p", "\(port)", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString))
            defer { _ = daemon.stop() }

            #expect(try await v4Routes.waitForTargets(in: [fixture.eniA]) == [fixture.eniA, fixture.eniA], "\(daemon.output)")
            #expect(try await v6Routes.waitForTargets(in: [fixture.eniA]) == [fixture.eniA, fixture.eniA], "\(daemon.output)")
            // The IPv6 route is an IPv6 route in moto, not an IPv4 one with odd text.
            let tableA = try #require(try await moto.client(for: fixture).describeRouteTables(vpcId: fixture.vpcId)
                .first { $0.routeTableId == fixture.routeTableA })
            #expect(tableA.route(to: v6)?.destinationIpv6CidrBlock == v6.description)
            #expect(tableA.route(to: v6)?.destinationCidrBlock == nil)
            // The daemon sees router A's IPv6 address healthy through ICMPv6, like its IPv4 one.
            let healthy = try await eventually(.seconds(10)) {
                guard let answer = try? await HTTPProbe.request("http://127.0.0.1:\(port)/ips"),
                      let document = answer.json as? [String: Any] else { return false }
                let routers = document["routers"] as? [String: Any]
                return (routers?[fixture.routerAIPv6] as? [String: Any])?["condition"] as? String == "healthy"
            }
            #expect(healthy, "router A's IPv6 address on /ips")

            let killed = ContinuousClock.now
            try routers.kill(routerA)
            let movedV4 = try await v4Routes.waitForTargets(in: [fixture.eniB])
            let movedV6 = try await v6Routes.waitForTargets(in: [fixture.eniB])
            let failoverTime = ContinuousClock.now - killed
            #expect(movedV4 == [fixture.eniB, fixture.eniB], "IPv4 failed over: \(movedV4)\n\(daemon.output)")
            #expect(movedV6 == [fixture.eniB, fixture.eniB], "IPv6 failed over: \(movedV6)\n\(daemon.output)")
            print("dual-stack failover: router death to both routes moved in moto: \(failoverTime)")
            let output = daemon.output
            #expect(output.contains("router \(fixture.routerAIPv6) failed") || output.contains("router \(fixture.routerAIPv6) is questionable"), "\(output)")
            #expect(daemon.stop() == 0)
        }
    }
}
