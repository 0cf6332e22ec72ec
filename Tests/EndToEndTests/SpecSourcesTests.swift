import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// Specs from the http, configfile and etcd modes reach the reconciler: routes appear in moto, and a CIDR given an empty
    /// router list is deleted again. A refused spec leaves the routes alone.
    @Suite(.serialized, .timeLimit(.minutes(5))) struct SpecSourcesTests {
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        func routes(_ client: EC2Client, _ fixture: MotoFixture, _ cidr: String) async throws -> [String?] {
            try await FixtureRoutes(client: client, fixture: fixture, cidr: IPCIDR(cidr)!).targets()
        }

        func start(_ mode: [String], moto: MotoServer, fixture: MotoFixture, port: Int) throws -> DaemonProcess {
            var environment = VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString)
            environment["AWS_ACCESS_KEY_ID"] = fixture.routerAccessKeyId
            environment["AWS_SECRET_ACCESS_KEY"] = fixture.routerSecretAccessKey
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-spec")
            return try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
                "-p", "\(port)", "--state-dir", state.path, "--route_recheck_interval", "5",
            ] + mode, environment: environment)
        }

        @Test func httpModeSpecsCreateAndDeleteRoutes() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let fixture = try await moto.fixture()
            let ec2 = moto.client(for: fixture)
            // Routers are namespaces with a TCP listener, so the tcp health plugin finds them healthy.
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let port = freeLoopbackPort()
            let daemon = try start(["-m", "http"], moto: moto, fixture: fixture, port: port)
            #expect(daemon.waitForOutput(containing: "HTTP server listening"))
            let post = { (body: String) in
                try await HTTPProbe.request("http://127.0.0.1:\(port)/route_spec", method: "POST",
                                            headers: ["Content-Type": "application/json"], body: Data(body.utf8))
            }
            // The first spec is sent the way vpc-router's users send it: curl -d @spec.json (a form
            // content type).
            let specFile = try PackagePaths.temporaryDirectory("vpcr-e2e-http").appendingPathComponent("spec.json")
            try Data(#"{"10.66.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#.utf8).write(to: specFile)
            let curl = try ProcessRunner.run("/usr/bin/env", ["curl", "-sS", "-w", "\n%{http_code}", "-d", "@\(specFile.path)",
                                                              "http://127.0.0.1:\(port)/route_spec"])
            #expect(curl.stdout.hasSuffix("\n200"), "curl -d @spec.json: \(curl.stdout)\(curl.stderr)")
            let created = try await eventually {
                let targets = try await routes(ec2, fixture, "10.66.0.0/16")
                return targets.allSatisfy { $0 != nil } && Set(targets).count == 1
            }
            #expect(created, "\(daemon.output)")
            #expect(try await post(#"{"10.66.0.1/16": []}"#).status == 400, "a refused spec")
            // The router list of 10.66.0.0/16 is emptied while another CIDR on both routers keeps both
            // tables managed (deletes happen only in managed tables).
            #expect(try await post(#"{"10.66.0.0/16": [], "10.67.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#).status == 200)
            let deleted = try await eventually { try await routes(ec2, fixture, "10.66.0.0/16") == [nil, nil] }
            #expect(deleted, "an empty router list deletes the route vpcrouter owns\n\(daemon.output)")
            #expect(daemon.stop() == 0)
        }

        @Test func configFileEditsReachTheRouteTables() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let fixture = try await moto.fixture()
            let ec2 = moto.client(for: fixture)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let directory = try PackagePaths.temporaryDirectory("vpcr-e2e-configfile")
            let file = directory.appendingPathComponent("spec.json")
            // Written to a temporary name and renamed, as editors and configuration tools do.
            let write = { (text: String) in
                let staging = directory.appendingPathComponent(".spec.json.new")
                try Data(text.utf8).write(to: staging)
                _ = rename(staging.path, file.path)
            }
            try write(#"{"10.70.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#)
            let daemon = try start(["-m", "configfile", "-f", file.path], moto: moto, fixture: fixture, port: freeLoopbackPort())
            let created = try await eventually {
                let targets = try await routes(ec2, fixture, "10.70.0.0/16")
                return targets.allSatisfy { $0 != nil } && Set(targets).count == 1
            }
            #expect(created, "the file's spec creates the route\n\(daemon.output)")

            // A broken edit is refused with the reason; the last good spec stays in force.
            try write(#"{"10.70.0.0/16": ["\#(routerA)", "10.0.1.300"]}"#)
            #expect(daemon.waitForOutput(containing: "10.0.1.300"), "the refusal names the bad address\n\(daemon.output)")
            let kept = try await routes(ec2, fixture, "10.70.0.0/16")
            #expect(kept.allSatisfy { $0 != nil }, "the refused edit leaves the route alone")

            // A good edit adds a CIDR and empties the first one's router list: one created, one deleted.
            try write(#"{"10.70.0.0/16": [], "10.71.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#)
            let moved = try await eventually {
                let old = try await routes(ec2, fixture, "10.70.0.0/16")
                let new = try await routes(ec2, fixture, "10.71.0.0/16")
                return old == [nil, nil] && new.allSatisfy { $0 != nil }
            }
            #expect(moved, "the edited file's spec replaces the old one\n\(daemon.output)")
            #expect(daemon.stop() == 0)
        }

        @Test func etcdValueChangesReachTheRouteTables() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let etcd = try await EtcdServer.start()
            defer { etcd.stop() }
            let fixture = try moto.makeFixture()
            let ec2 = moto.client(for: fixture)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let key = "/vpcrouter/e2e/spec"
            try await etcd.put(key, #"{"10.72.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#)
            let daemon = try start(["-m", "etcd", "--etcd-endpoints", etcd.endpoint, "--etcd-key", key],
                                   moto: moto, fixture: fixture, port: freeLoopbackPort())
            let created = try await eventually {
                let targets = try await routes(ec2, fixture, "10.72.0.0/16")
                return targets.allSatisfy { $0 != nil } && Set(targets).count == 1
            }
            #expect(created, "the value in etcd creates the route\n\(daemon.output)")

            // A refused value changes nothing in the VPC.
            try await etcd.put(key, #"{"10.72.0.0/16": ["\#(routerA)", "10.0.1.300"]}"#)
            #expect(await daemon.outputAppears("etcd value refused"), "\(daemon.output)")
            #expect(try await routes(ec2, fixture, "10.72.0.0/16").allSatisfy { $0 != nil })

            try await etcd.put(key, #"{"10.72.0.0/16": [], "10.73.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#)
            let moved = try await eventually {
                let old = try await routes(ec2, fixture, "10.72.0.0/16")
                let new = try await routes(ec2, fixture, "10.73.0.0/16")
                return old == [nil, nil] && new.allSatisfy { $0 != nil }
            }
            #expect(moved, "the changed value's spec replaces the old one\n\(daemon.output)")
            #expect(daemon.stop() == 0)
        }
    }
}
