import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// Command lines an existing vpc-router 1.8.11 user types, run through the real daemon against
    /// moto, with routers as network namespaces.
    @Suite(.serialized, .timeLimit(.minutes(5))) struct DropInTests {
        let cidr = IPCIDR("10.55.0.0/16")!
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        func environment(_ moto: MotoServer, _ fixture: MotoFixture) -> [String: String] {
            var environment = VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString)
            environment["AWS_ACCESS_KEY_ID"] = fixture.routerAccessKeyId
            environment["AWS_SECRET_ACCESS_KEY"] = fixture.routerSecretAccessKey
            return environment
        }

        /// The Romana container starts vpc-router with `--ignore_routes 0.0.0.0/0` to keep a NAT
        /// instance's default route: that entry protects the default route and nothing else.
        @Test func ignoringTheDefaultRouteStillWritesTheSpecsRoutes() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let fixture = try await moto.fixture()
            let ec2 = moto.client(for: fixture)
            let defaultRoute = IPCIDR("0.0.0.0/0")!
            // Router D plays the NAT instance: its default route is not in the spec.
            try await ec2.createRoute(routeTableId: fixture.routeTableA, destination: defaultRoute, networkInterfaceId: fixture.eniD)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-ignore")
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
                "--ignore_routes", "0.0.0.0/0", "--delete-unowned-routes", "--route_recheck_interval", "5",
                "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ], environment: environment(moto, fixture))
            let targets = try await FixtureRoutes(client: ec2, fixture: fixture, cidr: cidr)
                .waitForTargets(in: [fixture.eniA, fixture.eniB])
            #expect(targets.allSatisfy { $0 != nil } && Set(targets).count == 1, "the spec's route is written: \(targets)\n\(daemon.output)")
            // The pass that created the route decided about the default route too: ignored, even with
            // --delete-unowned-routes.
            #expect(await daemon.outputAppears("route.cidr=0.0.0.0/0"), "\(daemon.output)")
            let natRoute = try await FixtureRoutes(client: ec2, fixture: fixture, cidr: defaultRoute).targets()
            #expect(natRoute[0] == fixture.eniD, "the NAT instance's default route is kept: \(natRoute)\n\(daemon.output)")
            #expect(daemon.stop() == 0)
        }

        /// The original README's multi command line starts, and the combined verdicts drive
        /// failover: a route leaves its router when either child (icmpecho or tcp) fails it.
        @Test func multiFailsOverWhenEitherChildFailsTheRouter() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let fixture = try await moto.fixture()
            let ec2 = moto.client(for: fixture)
            let routerC = "10.0.1.30"
            let routers = try await RouterNamespaces.listening([routerA, routerB, routerC], port: 80)
            defer { routers.remove() }
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-multi")
            let port = freeLoopbackPort()
            // As in vpc-router's README, with faster rounds.
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB):\(routerC)",
                "--health", "multi", "--multi_plugins", "icmpecho:tcp", "--icmp_check_interval", "0.5", "--tcp_check_port", "80",
                "--tcp_check_interval", "0.5", "--route_recheck_interval", "5", "-p", "\(port)", "--state-dir", state.path,
            ], environment: environment(moto, fixture))
            let routes = FixtureRoutes(client: ec2, fixture: fixture, cidr: cidr)
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB, fixture.eniC: routerC]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            #expect(Set(first).count == 1 && first[0] != nil, "created: \(first)\n\(daemon.output)")
            guard let firstCarrier = first[0] ?? nil, let firstIP = enis[firstCarrier] else { return }

            // icmpecho fails the carrier (tcp still finds it healthy): the route moves.
            try routers.ignorePings(firstIP)
            let second = try await routes.waitForTargets(in: Set(enis.keys).subtracting([firstCarrier]))
            #expect(Set(second).count == 1 && second[0] != nil && second[0] != firstCarrier,
                    "moved away from \(firstIP) when it stopped answering pings: \(second)\n\(daemon.output)")
            guard let secondCarrier = second[0] ?? nil, let secondIP = enis[secondCarrier] else { return }

            // tcp fails the new carrier (it still answers pings): the route moves to the third router.
            try routers.stopListening(secondIP)
            let third = try await routes.waitForTargets(in: Set(enis.keys).subtracting([firstCarrier, secondCarrier]))
            #expect(Set(third).count == 1 && third[0] != nil && ![firstCarrier, secondCarrier].contains(third[0]),
                    "moved away from \(secondIP) when its port closed: \(third)\n\(daemon.output)")

            // After failovers every metric family has samples; Prometheus's own linter accepts the page.
            let metrics = try await HTTPProbe.request("http://127.0.0.1:\(port)/metrics")
            #expect(metrics.status == 200)
            let page = state.appendingPathComponent("metrics.txt")
            try metrics.body.write(to: page)
            let lint = try ProcessRunner.shell("promtool check metrics < '\(page.path)' 2>&1")
            #expect(lint.status == 0, "promtool check metrics: \(lint.stdout)")
            #expect(metrics.text.contains("# HELP vpcrouter_failovers_total "), "\(metrics.text)")
            #expect(daemon.stop() == 0)
        }

        /// `-H tcp` alone: a router whose port closes (it still answers pings) loses its route.
        @Test func tcpFailsARouterOverWhenItsPortCloses() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let fixture = try await moto.fixture()
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 22)
            defer { routers.remove() }
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-tcp")
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "tcp", "--tcp_check_port", "22", "--tcp_check_interval", "0.5",
                "--route_recheck_interval", "5", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ], environment: environment(moto, fixture))
            let routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr)
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            #expect(Set(first).count == 1 && first[0] != nil, "created: \(first)\n\(daemon.output)")
            guard let carrier = first[0] ?? nil, let carrierIP = enis[carrier] else { return }
            try routers.stopListening(carrierIP)
            let other = enis.keys.first { $0 != carrier }!
            let moved = try await routes.waitForTargets(in: [other])
            #expect(moved == [other, other], "moved away from \(carrierIP) when its port closed: \(moved)\n\(daemon.output)")
            #expect(daemon.stop() == 0)
        }
    }
}
