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

            // Some leader writes the route. Which replica leads, and for how long, is up to the
            // machine: on a busy one a 2 s lease can move at any renewal, so the test checks the
            // election's promise rather than who wins.
            let created = try await eventually(.seconds(60)) {
                try await FixtureRoutes(client: ec2, fixture: fixture, cidr: IPCIDR("10.80.0.0/16")!).targets().allSatisfy { $0 != nil }
            }
            #expect(created, "\(first.daemon.output)\n\(second.daemon.output)")

            // SIGKILL whichever replica leads, then break the route: a leader repairs it.
            var leader: LeaderReplica?
            _ = try await eventually(.seconds(60)) {
                for replica in [first, second] where await replica.role() == "leader" { leader = replica }
                return leader != nil
            }
            let killed = try #require(leader, "a leader is elected")
            let survivor = killed === first ? second : first
            let survivorFile = killed === first ? secondFile : firstFile
            killed.kill()
            let cidr = try IPCIDR.parseAddressOrCIDR("10.80.0.0/16").get()
            for table in [fixture.routeTableA, fixture.routeTableB] {
                _ = try await ec2.deleteRoute(routeTableId: table, destination: cidr)
            }
            let repaired = try await eventually(.seconds(60)) {
                try await FixtureRoutes(client: ec2, fixture: fixture, cidr: IPCIDR("10.80.0.0/16")!).targets().allSatisfy { $0 != nil }
            }
            #expect(repaired, "the other replica takes over and repairs the route\n\(survivor.daemon.output)")
            #expect(survivor.daemon.output.contains("leadership acquired"))

            // A fresh replica joins, then the survivor is frozen with SIGSTOP once it leads: the
            // fresh one takes over. While frozen, the survivor's spec gains a CIDR, so when it
            // resumes it plans a write; it must first see that its lease has lapsed.
            let third = try await start("replica-3", try specFile(spec))
            defer { third.stop() }
            #expect(try await eventually(.seconds(60)) { await third.role() != nil }, "\(third.daemon.output)")
            #expect(try await eventually(.seconds(60)) { await survivor.role() == "leader" }, "\(survivor.daemon.output)")
            survivor.pause()
            let tookOver = try await eventually(.seconds(60)) { await third.role() == "leader" }
            #expect(tookOver, "a paused leader is replaced\n\(third.daemon.output)")
            try Data(#"{"10.80.0.0/16": ["\#(routerA)", "\#(routerB)"], "10.81.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#.utf8)
                .write(to: survivorFile)
            let lostBefore = survivor.daemon.output.components(separatedBy: "leadership lost").count
            survivor.resume()
            let noticed = try await eventually(.seconds(60)) {
                survivor.daemon.output.components(separatedBy: "leadership lost").count > lostBefore
            }
            #expect(noticed, "the resumed replica sees its lease lapsed\n\(survivor.daemon.output)")
            #expect(await survivor.daemon.outputAppears("spec.generation=2"), "the resumed replica reads its new spec")
            // Give a resumed replica that would write on a stale lease the time to do it.
            try await Task.sleep(for: .seconds(3))

            let history = LeadershipHistory(replicas: [
                try await killed.history(), try await survivor.history(), try await third.history(),
            ])
            #expect(history.replicas.contains { !$0.writes.isEmpty }, "some leader wrote")
            let violations = history.violations()
            #expect(violations.isEmpty, """
                \(violations.joined(separator: "\n"))
                \(history.replicas.map { "\($0.name): windows \($0.windows) writes \($0.writes)" }.joined(separator: "\n"))
                \(survivor.daemon.output)
                """)
        }

        /// etcd frozen with SIGSTOP keeps its connections open and answers nothing: every election
        /// request must end at its own timeout, so the leader steps down within its lease, the
        /// status page keeps answering, and once etcd resumes the replica leads again.
        @Test func aHungEtcdEndsTheLeadershipAndItIsWonAgainAfterwards() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let etcd = try await EtcdServer.start()
            defer { etcd.resume(); etcd.stop() }
            let fixture = try moto.makeFixture()
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let file = try specFile(#"{"10.82.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#)
            let replica = try await LeaderReplica.start(name: "replica-hung", moto: moto, fixture: fixture, etcd: etcd, ttl: 2, key: key + "-hung", arguments: [
                "-m", "configfile", "-f", file.path, "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
                "--route_recheck_interval", "5",
            ])
            defer { replica.stop() }
            #expect(try await eventually(.seconds(60)) { await replica.role() == "leader" }, "\(replica.daemon.output)")

            let lostBefore = replica.daemon.output.components(separatedBy: "leadership lost").count
            let acquiredBefore = replica.daemon.output.components(separatedBy: "leadership acquired").count
            etcd.pause()
            let paused = ContinuousClock.now
            let lost = try await eventually(.seconds(30)) {
                replica.daemon.output.components(separatedBy: "leadership lost").count > lostBefore
            }
            // A 2 s lease with requests of at most 2 s each: well under 30 s unless a request hangs.
            #expect(lost, "the leader steps down while etcd is hung\n\(replica.daemon.output)")
            #expect(ContinuousClock.now - paused < .seconds(30))
            #expect(await replica.role() == "follower", "the status page answers while etcd is hung")

            etcd.resume()
            let wonAgain = try await eventually(.seconds(60)) {
                replica.daemon.output.components(separatedBy: "leadership acquired").count > acquiredBefore
            }
            #expect(wonAgain, "the replica leads again once etcd answers\n\(replica.daemon.output)")
            #expect(replica.daemon.process.isRunning)

            let history = LeadershipHistory(replicas: [try await replica.history()])
            let violations = history.violations()
            #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))\n\(replica.daemon.output)")
        }
    }
}
