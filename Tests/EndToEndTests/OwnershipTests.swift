import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// Ownership per route, through the real daemon against moto: what vpcrouter wrote is cleaned up
    /// wherever it is, what it did not write (or someone repointed) is reported and left alone, and
    /// a route written just before a SIGKILL is still known after the restart.
    @Suite(.serialized) struct OwnershipTests {
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"
        let x = IPCIDR("10.63.0.0/16")!
        let y = IPCIDR("10.64.0.0/16")!

        final class SpecFile: Sendable {
            let directory: URL
            var path: String { directory.appendingPathComponent("spec.json").path }
            init() throws { directory = try PackagePaths.temporaryDirectory("vpcr-e2e-owned") }
            /// Written to a temporary name and renamed, as configuration tools do.
            func write(_ routes: [IPCIDR: [String]]) throws {
                let text = "{" + routes.map { "\"\($0.key)\": [" + $0.value.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
                    .joined(separator: ", ") + "}"
                let staging = directory.appendingPathComponent(".spec.json.new")
                try Data(text.utf8).write(to: staging)
                _ = rename(staging.path, path)
            }
        }

        func startDaemon(_ fixture: MotoFixture, ec2Endpoint: URL, spec: SpecFile, state: URL, port: Int) throws -> DaemonProcess {
            try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "configfile", "-f", spec.path,
                "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
                "--route_recheck_interval", "5", "-p", "\(port)", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: ec2Endpoint.absoluteString))
        }

        /// The example: {X: [A], Y: [B]} writes X and Y to both routers' tables. Someone
        /// repoints X in table b to their own appliance (router D's ENI). Retiring A with {Y: [B]}
        /// deletes X from table a, no longer managed, and leaves table b's X alone, reported on /vpc.
        @Test func retiringARouterCleansUpItsTableAndSparesWhatOthersChanged() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let ec2 = moto.client(for: fixture)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let spec = try SpecFile()
            try spec.write([x: [routerA], y: [routerB]])
            let port = freeLoopbackPort()
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-owned-state")
            let first = try startDaemon(fixture, ec2Endpoint: moto.endpoint, spec: spec, state: state, port: port)
            let xRoutes = FixtureRoutes(client: ec2, fixture: fixture, cidr: x)
            let yRoutes = FixtureRoutes(client: ec2, fixture: fixture, cidr: y)
            #expect(try await xRoutes.waitForTargets(in: [fixture.eniA]) == [fixture.eniA, fixture.eniA], "\(first.output)")
            #expect(try await yRoutes.waitForTargets(in: [fixture.eniB]) == [fixture.eniB, fixture.eniB], "\(first.output)")
            #expect(first.stop() == 0)

            // While the daemon is down (so it cannot repair X while X is still in the spec), X in
            // table b is repointed by hand to another team's appliance, and router A is retired.
            try await ec2.replaceRoute(routeTableId: fixture.routeTableB, destination: x, networkInterfaceId: fixture.eniD)
            try spec.write([y: [routerB]])
            let daemon = try startDaemon(fixture, ec2Endpoint: moto.endpoint, spec: spec, state: state, port: port)
            let cleaned = try await eventually(.seconds(30), every: .milliseconds(100)) {
                try await xRoutes.targets()[0] == nil
            }
            #expect(cleaned, "X deleted from table a, which is no longer managed\n\(daemon.output)")
            let vpc = try await eventually(.seconds(15), every: .milliseconds(200)) {
                let text = try await HTTPProbe.request("http://127.0.0.1:\(port)/vpc").text
                return text.contains("not what vpcrouter wrote")
            }
            #expect(vpc, "/vpc reports table b's X as someone else's")
            // Two rechecks later the repointed route is still there, and was reported once.
            try await Task.sleep(for: .seconds(10))
            #expect(try await xRoutes.targets() == [nil, fixture.eniD], "\(daemon.output)")
            #expect(try await yRoutes.targets() == [fixture.eniB, fixture.eniB])
            let output = daemon.output
            let warnings = output.split(separator: "\n").filter { $0.contains("WARNING") && $0.contains("not what vpcrouter wrote") }
            #expect(warnings.count == 1, "\(warnings)")
            let deletesInB = output.split(separator: "\n").filter {
                $0.contains("vpcrouter: delete") && $0.contains("route.cidr=\(x)") && $0.contains("route.table=\(fixture.routeTableB)")
            }
            #expect(deletesInB.isEmpty, "\(deletesInB)")
            #expect(daemon.stop() == 0)
        }

        /// Write-ahead: every CreateRoute reaches moto but its answer comes back garbled, so the pass
        /// cannot confirm it; the daemon is SIGKILLed as soon as moto holds the route. The ledger
        /// already records it, and a restart with X out of the spec deletes it.
        @Test func aRouteWrittenJustBeforeSIGKILLIsKnownAfterTheRestart() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let ec2 = moto.client(for: fixture)
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            try await proxy.configure(["truncated": 1.0, "actions": ["CreateRoute", "ReplaceRoute"]])
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let spec = try SpecFile()
            try spec.write([x: [routerA, routerB]])
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-owned-crash")
            let xRoutes = FixtureRoutes(client: ec2, fixture: fixture, cidr: x)
            let first = try startDaemon(fixture, ec2Endpoint: proxy.endpoint, spec: spec, state: state, port: freeLoopbackPort())
            let written = try await eventually(.seconds(30), every: .milliseconds(5)) {
                try await xRoutes.targets().contains { $0 != nil }
            }
            #expect(written, "\(first.output)")
            #expect(first.stop(signal: SIGKILL) != 0)
            let ledger = try String(contentsOf: state.appendingPathComponent("owned-routes.json"), encoding: .utf8)
            #expect(ledger.contains("\"cidr\" : \"\(x)\""), "\(ledger)")

            try await proxy.configure([:])
            try spec.write([y: [routerA, routerB]])
            let second = try startDaemon(fixture, ec2Endpoint: proxy.endpoint, spec: spec, state: state, port: freeLoopbackPort())
            let cleaned = try await eventually(.seconds(30), every: .milliseconds(100)) {
                try await xRoutes.targets() == [nil, nil]
            }
            #expect(cleaned, "\(second.output)")
            #expect(second.stop() == 0)
        }

        /// Between the read and the CreateRoute, someone creates the same route to an internet
        /// gateway. EC2 answers RouteAlreadyExists: the gateway route must not be overwritten
        /// (before, the create fell back to a blind ReplaceRoute); the next read reports it.
        @Test func aRouteThatAppearedSinceTheReadIsNotOverwritten() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let ec2 = moto.client(for: fixture)
            let gateway = try #require(try await ec2.call("CreateInternetGateway", []).child("internetGateway")?.string("internetGatewayId"))
            _ = try await ec2.call("AttachInternetGateway", [("InternetGatewayId", gateway), ("VpcId", fixture.vpcId)])
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            // Every request waits 2 s at the proxy before it reaches moto: the window in which the
            // gateway routes are created. The proxy answers a CreateRoute for an existing route with
            // RouteAlreadyExists, as EC2 does (moto overwrites it).
            try await proxy.configure(["delay": 2.0, "route_exists": true])
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let spec = try SpecFile()
            try spec.write([x: [routerA, routerB]])
            let port = freeLoopbackPort()
            let daemon = try startDaemon(fixture, ec2Endpoint: proxy.endpoint, spec: spec,
                                         state: try PackagePaths.temporaryDirectory("vpcr-e2e-owned-race"), port: port)
            let sent = try await eventually(.seconds(60), every: .milliseconds(10)) {
                (try await proxy.stats().actions["CreateRoute"]?.count ?? 0) > 0
            }
            #expect(sent, "\(daemon.output)")
            for table in [fixture.routeTableA, fixture.routeTableB] {
                _ = try await ec2.call("CreateRoute", [("RouteTableId", table), ("DestinationCidrBlock", x.description), ("GatewayId", gateway)])
            }
            try await proxy.configure(["route_exists": true])
            #expect(await daemon.output(containing: "appeared since the read"), "\(daemon.output)")
            let reported = try await eventually(.seconds(20), every: .milliseconds(200)) {
                let text = try await HTTPProbe.request("http://127.0.0.1:\(port)/vpc").text
                return text.contains("which vpcrouter does not manage")
            }
            #expect(reported, "/vpc reports the gateway routes")
            try await Task.sleep(for: .seconds(3))
            let tables = try await ec2.describeRouteTables(vpcId: fixture.vpcId)
            for table in [fixture.routeTableA, fixture.routeTableB] {
                let route = tables.first { $0.routeTableId == table }?.route(to: x)
                #expect(route?.gatewayId == gateway && route?.networkInterfaceId == nil, "\(table): \(String(describing: route))\n\(daemon.output)")
            }
            #expect(daemon.stop() == 0)
        }
    }
}
