import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// `vpcrouter plan` against moto: the actions the daemon would take, as a table and as JSON,
    /// with nothing written.
    @Suite(.serialized, .timeLimit(.minutes(5))) struct PlanCommandTests {
        let cidr = IPCIDR("10.77.0.0/16")!
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        func plan(_ moto: MotoServer, _ fixture: MotoFixture, _ extra: [String] = [], mode: [String]? = nil,
                  stateDirectory: URL? = nil) throws -> ProcessResult {
            let state = try stateDirectory ?? PackagePaths.temporaryDirectory("vpcr-plan-state")
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

        /// A plan, and a daemon run with `--dry-run`, leave the state directory byte for byte as
        /// they found it: before, both recorded every spec CIDR as owned, and the next real run
        /// deleted routes for those CIDRs that someone else had written.
        @Test func planAndDryRunLeaveTheStateDirectoryAsTheyFoundIt() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let state = try PackagePaths.temporaryDirectory("vpcr-plan-untouched")
            // A ledger an earlier run left, in the first format.
            let ledger = Data(#"{"version": 1, "cidrs": ["10.99.0.0/16"]}"#.utf8)
            try ledger.write(to: state.appendingPathComponent("owned-routes.json"))
            let before = try StateDirectorySnapshot.take(state)

            let result = try plan(moto, fixture, stateDirectory: state)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("2 writes planned; nothing was written"), "\(result.stdout)")
            #expect(try StateDirectorySnapshot.take(state) == before, "plan changed the state directory")

            // A state directory that does not exist is not created.
            let absent = state.appendingPathComponent("absent")
            let planned = try plan(moto, fixture, stateDirectory: absent)
            #expect(planned.status == 0, "\(planned.stderr)")
            #expect(!FileManager.default.fileExists(atPath: absent.path), "plan created \(absent.path)")

            // A daemon in dry-run mode through several passes, then stopped.
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
                "--route_recheck_interval", "5", "--dry-run", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString))
            #expect(await daemon.output(containing: "dry run: no route written"), "\(daemon.output)")
            try await Task.sleep(for: .seconds(6))
            #expect(daemon.stop() == 0, "\(daemon.output)")
            #expect(try StateDirectorySnapshot.take(state) == before, "--dry-run changed the state directory\n\(daemon.output)")
            #expect(try await routes.targets() == [nil, nil], "--dry-run wrote nothing")
        }

        /// Without -r and -v the region and VPC come from IMDSv2 (token, then region, MAC and VPC id)
        /// through the daemon's HTTP client; a metadata service that hangs ends in a clear refusal
        /// within the client's timeouts, not in a hang.
        @Test func takesRegionAndVPCFromInstanceMetadataAndRefusesWhenItHangs() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let metadata = try await FakeMetadataServer.start(arguments: ["--region", fixture.region, "--vpc", fixture.vpcId])
            defer { metadata.process.helperPID.map { _ = kill($0, SIGCONT) }; metadata.stop() }
            let state = try PackagePaths.temporaryDirectory("vpcr-plan-imds")
            var environment = VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString)
            environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = metadata.endpoint.absoluteString
            let arguments = ["plan", "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5", "--state-dir", state.path,
                             "-m", "fixedconf", "--fixed_cidr", cidr.description, "--fixed_hosts", "\(routerA):\(routerB)"]

            let found = try ProcessRunner.run(PackagePaths.vpcrouter, arguments, environment: environment, timeout: 60)
            #expect(found.status == 0, "\(found.stderr)")
            #expect(found.stdout.contains("2 writes planned; nothing was written"), "\(found.stdout)\n\(found.stderr)")
            let stats = try await metadata.stats()
            #expect((stats["PUT /latest/api/token"] ?? 0) >= 1, "\(stats)")
            #expect((stats["GET /latest/meta-data/placement/region"] ?? 0) >= 1, "\(stats)")
            #expect(stats.keys.contains { $0.hasSuffix("/vpc-id") }, "\(stats)")

            // Frozen: it accepts connections (the kernel does) and answers nothing.
            let pid = try #require(metadata.process.helperPID)
            kill(pid, SIGSTOP)
            let started = ContinuousClock.now
            let hung = try ProcessRunner.run(PackagePaths.vpcrouter, arguments, environment: environment, timeout: 60)
            let elapsed = ContinuousClock.now - started
            kill(pid, SIGCONT)
            #expect(hung.status == 1, "\(hung.stdout)\n\(hung.stderr)")
            #expect((hung.stderr + hung.stdout).contains("instance metadata did not answer"), "\(hung.stderr)")
            // Two 2 s metadata requests at most before the refusal; far less than the 60 s runner limit.
            #expect(elapsed < .seconds(30), "the refusal took \(elapsed)")
        }
    }
}
