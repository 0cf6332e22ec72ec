import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// Replicas of vpcrouter against one moto VPC, each behind its own fault proxy (which counts its
    /// route writes), electing a leader through a real etcd. Routers are namespaces with a TCP
    /// listener, so the tcp health plugin finds them healthy.
    @Suite(.serialized, .timeLimit(.minutes(8))) struct LeaderElectionTests {
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"
        let key = "/vpcrouter/e2e/leader"

        func specFile(_ text: String) throws -> URL {
            let file = try PackagePaths.temporaryDirectory("vpcr-e2e-leader").appendingPathComponent("spec.json")
            try Data(text.utf8).write(to: file)
            return file
        }

        @Test func onlyTheLeaderWritesAndAnotherTakesOverFromAKilledOrPausedOne() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let etcd = try await EtcdServer.start()
            defer { etcd.stop() }
            let fixture = try moto.makeFixture()
            let ec2 = moto.client(for: fixture)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let spec = #"{"10.80.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#
            func start(_ name: String, _ file: URL) async throws -> LeaderReplica {
                try await LeaderReplica.start(name: name, moto: moto, fixture: fixture, etcd: etcd, ttl: 2, key: key, arguments: [
                    "-m", "configfile", "-f", file.path, "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
                    "--route_recheck_interval", "5",
                ])
            }
            let firstFile = try specFile(spec)
            let secondFile = try specFile(spec)
            let first = try await start("replica-1", firstFile)
            let second = try await start("replica-2", secondFile)
            defer { first.stop(); second.stop() }

            // One leader writes the route; the follower plans the same and writes nothing.
            let created = try await eventually(.seconds(60)) {
                try await FixtureRoutes(client: ec2, fixture: fixture, cidr: IPv4CIDR("10.80.0.0/16")!).targets().allSatisfy { $0 != nil }
            }
            #expect(created, "\(first.daemon.output)\n\(second.daemon.output)")
            var roles: [String?] = []
            _ = try await eventually(.seconds(60)) {
                roles = [await first.role(), await second.role()]
                return Set(roles) == ["follower", "leader"]
            }
            #expect(Set(roles) == ["follower", "leader"], "exactly one leader: \(roles)")
            let leader = roles[0] == "leader" ? first : second
            let survivor = leader === first ? second : first
            let survivorFile = leader === first ? secondFile : firstFile
            #expect(try await leader.routeWrites() > 0)
            #expect(try await survivor.routeWrites() == 0, "the follower wrote a route\n\(survivor.daemon.output)")

            // SIGKILL the leader, then break the route: the other replica takes over and repairs it.
            leader.kill()
            let cidr = try IPv4CIDR.parseAddressOrCIDR("10.80.0.0/16").get()
            for table in [fixture.routeTableA, fixture.routeTableB] {
                _ = try await ec2.deleteRoute(routeTableId: table, destination: cidr)
            }
            let repaired = try await eventually(.seconds(60)) {
                try await FixtureRoutes(client: ec2, fixture: fixture, cidr: IPv4CIDR("10.80.0.0/16")!).targets().allSatisfy { $0 != nil }
            }
            #expect(repaired, "the new leader repairs the route\n\(survivor.daemon.output)")
            #expect(await survivor.role() == "leader")
            #expect(try await survivor.routeWrites() > 0)
            #expect(survivor.daemon.output.contains("leadership acquired"))

            // SIGSTOP the new leader; a fresh replica takes over. While the stopped one is frozen its
            // spec gains a CIDR, so when it resumes it plans a write: it must not make it.
            let third = try await start("replica-3", try specFile(spec))
            defer { third.stop() }
            #expect(try await eventually(.seconds(60)) { await third.role() == "follower" }, "\(third.daemon.output)")
            survivor.pause()
            let tookOver = try await eventually(.seconds(60)) { await third.role() == "leader" }
            #expect(tookOver, "a paused leader is replaced\n\(third.daemon.output)")
            try Data(#"{"10.80.0.0/16": ["\#(routerA)", "\#(routerB)"], "10.81.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#.utf8)
                .write(to: survivorFile)
            try await survivor.proxy.resetStats()
            let skippedBefore = survivor.daemon.output.components(separatedBy: "not the leader: planned route writes not made").count
            survivor.resume()
            #expect(await survivor.daemon.outputAppears("leadership lost"), "\(survivor.daemon.output)")
            #expect(await survivor.daemon.outputAppears("spec.generation=2"), "the resumed replica reads its new spec")
            let planned = try await eventually(.seconds(60)) {
                survivor.daemon.output.components(separatedBy: "not the leader: planned route writes not made").count > skippedBefore
            }
            #expect(planned, "the resumed replica planned the new route and did not write it\n\(survivor.daemon.output)")
            #expect(try await survivor.routeWrites() == 0, "a resumed former leader wrote a route\n\(survivor.daemon.output)")
            #expect(try await FixtureRoutes(client: ec2, fixture: fixture, cidr: IPv4CIDR("10.81.0.0/16")!).targets() == [nil, nil])
            #expect(await survivor.role() == "follower")
            #expect(await third.role() == "leader")
        }
    }
}
