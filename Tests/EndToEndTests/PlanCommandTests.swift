import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// `vpcrouter plan` against moto: the actions the daemon would take, as a table and as JSON,
    /// with nothing written.
    @Suite(.serialized, .timeLimit(.minutes(5))) struct PlanCommandTests {
        let cidr = IPv4CIDR("10.77.0.0/16")!
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        func plan(_ moto: MotoServer, _ fixture: MotoFixture, _ extra: [String] = [], mode: [String]? = nil) throws -> ProcessResult {
            let state = try PackagePaths.temporaryDirectory("vpcr-plan-state")
            let arguments = ["plan", "-r", fixture.region, "-v", fixture.vpcId, "-H", "tcp", "--tcp_check_port", "9",
                             "--tcp_check_interval", "0.5", "--state-dir", state.path]
                + (mode ?? ["-m", "fixedconf", "--fixed_cidr", cidr.description, "--fixed_hosts", "\(routerA):\(routerB)"]) + extra
            return try ProcessRunner.run(PackagePaths.vpcrouter, arguments,
                                         environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString), timeout: 60)
        }

        @Test func printsThePlanAndWritesNothing() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let ec2 = moto.client(for: fixture)
            let routes = FixtureRoutes(client: ec2, fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }

            // No route yet: one create per table, as a table.
            let table = try plan(moto, fixture)
            #expect(table.status == 0, "\(table.stderr)")
            print(table.stdout)
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("ACTION") == true, "\(table.stdout)")
            for id in [fixture.routeTableA, fixture.routeTableB] {
                #expect(lines.contains { $0.hasPrefix("create") && $0.contains(id) && $0.contains(cidr.description) && $0.contains("route missing") },
                        "\(table.stdout)")
            }
            #expect(table.stdout.contains("2 writes planned; nothing was written"), "\(table.stdout)")
            #expect(try await routes.targets() == [nil, nil], "plan wrote nothing")

            // A route to a router that is not listed: replace in that table, keep nothing else; as JSON.
            try await ec2.createRoute(routeTableId: fixture.routeTableA, destination: cidr, networkInterfaceId: fixture.eniD)
            let json = try plan(moto, fixture, ["--json"])
            #expect(json.status == 0, "\(json.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let actions = document?["actions"] as? [[String: Any]] ?? []
            let byTable = Dictionary(actions.map { ($0["table"] as? String ?? "-", $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byTable[fixture.routeTableA]?["action"] as? String == "replace", "\(json.stdout)")
            #expect((byTable[fixture.routeTableA]?["from"] as? [String: Any])?["eni"] as? String == fixture.eniD, "\(json.stdout)")
            #expect(byTable[fixture.routeTableB]?["action"] as? String == "create", "\(json.stdout)")
            #expect(document?["writes"] as? Int == 2, "\(json.stdout)")
            #expect(try await routes.targets() == [fixture.eniD, nil], "plan wrote nothing")
        }

        @Test func saysWhatItWaitedForWhenNoPlanCameInTime() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let directory = try PackagePaths.temporaryDirectory("vpcr-plan-nofile")
            // The spec file does not exist, so no spec ever arrives.
            let result = try plan(moto, fixture, ["--plan-timeout", "2"],
                                  mode: ["-m", "configfile", "-f", directory.appendingPathComponent("absent.json").path])
            #expect(result.status == 1)
            #expect(result.stderr.contains("vpcrouter: no plan within 2.0 seconds: still waiting for a route spec"), "\(result.stderr)")
        }
    }
}
