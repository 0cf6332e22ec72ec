import EC2
import Foundation
import Testing
import TestSupport

/// The daemon's process dies or is stopped at a bad moment: SIGTERM in the middle of a burst of
/// route writes, SIGKILL and restart, a state directory it cannot use. EC2 is moto behind the fault
/// proxy (which counts every write); router health comes from the drainfile plugin, so no router
/// address is ever contacted.
@Suite(.serialized, .timeLimit(.minutes(4))) struct ProcessFaultTests {
    /// The fixture's routers A (subnet a) and B (subnet b): each CIDR gets a route in both tables.
    static let routers = ["10.0.1.10", "10.0.2.20"]

    struct Setup {
        let moto: MotoServer
        let fixture: MotoFixture
        let proxy: FaultProxy
        let directory: URL
        let pluginDirectory: URL
        let drainDirectory: URL
        let specFile: URL
        var stateDirectory: URL { directory.appendingPathComponent("state") }
        var ledgerFile: URL { stateDirectory.appendingPathComponent("owned-routes.json") }

        static func make(cidrs: [String]) async throws -> Setup {
            let directory = try PackagePaths.temporaryDirectory("vpcr-faults")
            let pluginDirectory = directory.appendingPathComponent("plugins")
            let drainDirectory = directory.appendingPathComponent("drain")
            try FileManager.default.createDirectory(at: drainDirectory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: pluginDirectory, withIntermediateDirectories: true)
            _ = try ExamplePlugins.buildDrainfile(into: pluginDirectory)
            let specFile = directory.appendingPathComponent("spec.json")
            let routers = ProcessFaultTests.routers.map { "\"\($0)\"" }.joined(separator: ", ")
            try Data(("{" + cidrs.map { "\"\($0)\": [\(routers)]" }.joined(separator: ", ") + "}").utf8).write(to: specFile)
            let moto = try await MotoServer.start()
            let fixture = try await moto.fixture()
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            return Setup(moto: moto, fixture: fixture, proxy: proxy, directory: directory, pluginDirectory: pluginDirectory,
                         drainDirectory: drainDirectory, specFile: specFile)
        }

        func launch(port: Int = freeLoopbackPort()) throws -> DaemonProcess {
            try VPCRouterUnderTest.launch([
                "-m", "configfile", "-f", specFile.path, "-H", "drainfile", "--drain_dir", drainDirectory.path,
                "--plugin-dir", pluginDirectory.path, "-p", "\(port)", "--state-dir", stateDirectory.path,
                "--route_recheck_interval", "0",
            ], ec2Endpoint: proxy.endpoint.absoluteString, location: ["-r", fixture.region, "-v", fixture.vpcId])
        }

        /// The CIDRs routed in each of the two routers' tables, as moto has them.
        func routesInMoto(_ prefix: String) async throws -> [String] {
            let tables = try await moto.client(for: fixture).describeRouteTables(vpcId: fixture.vpcId)
            return tables.filter { [fixture.routeTableA, fixture.routeTableB].contains($0.routeTableId) }
                .flatMap { table in table.routes.compactMap(\.destinationCidrBlock).filter { $0.hasPrefix(prefix) }.map { "\(table.routeTableId) \($0)" } }
                .sorted()
        }

        /// The CIDRs of the routes in the persisted ownership ledger.
        func ledger() -> Set<String> {
            guard let data = try? Data(contentsOf: ledgerFile),
                  let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
            let routes = document["routes"] as? [[String: Any]] ?? []
            return Set(routes.compactMap { $0["cidr"] as? String })
        }

        /// Writes forwarded to moto since the last stats reset.
        func writes() async throws -> Int {
            let stats = try await proxy.stats()
            return ["CreateRoute", "ReplaceRoute", "DeleteRoute"].reduce(0) { $0 + (stats.actions[$1]?.forwarded ?? 0) }
        }

        func stop() {
            proxy.stop()
            moto.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func poll(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func sigtermDuringABurstOfWritesFinishesOrSkipsEachWriteAndExits0() async throws {
        let cidrs = (0..<40).map { "10.100.\($0).0/24" }
        let setup = try await Setup.make(cidrs: cidrs)
        defer { setup.stop() }
        // Every answer slowed down, so 80 route writes take long enough to be interrupted.
        try await setup.proxy.configure(["delay": 0.15])
        let daemon = try setup.launch()
        #expect(try await Self.poll { try await setup.writes() >= 10 }, "\(daemon.output.suffix(2000))")
        #expect(await daemon.stopped(signal: SIGTERM, timeout: 30) == 0, "\(daemon.output.suffix(2000))")

        let routed = try await setup.routesInMoto("10.100.")
        let forwarded = try await setup.writes()
        #expect(routed.count == forwarded, "every write that reached EC2 finished, and no other was made")
        #expect(routed.count >= 10 && routed.count < 80, "the stop came in the middle of the burst: \(routed.count) of 80")
        #expect(daemon.output.contains("stopping: remaining route writes not started"), "\(daemon.output.suffix(2000))")
        let ledger = setup.ledger()
        let routedCIDRs = Set(routed.map { String($0.split(separator: " ")[1]) })
        #expect(routedCIDRs.isSubset(of: ledger), "every route written is in the ledger: missing \(routedCIDRs.subtracting(ledger).sorted())")
        #expect(daemon.output.contains("vpcrouter stopped"))
    }

    @Test func sigkillAndRestartWritesOnlyWhatIsMissingThenNothing() async throws {
        let cidrs = (0..<20).map { "10.101.\($0).0/24" }
        let setup = try await Setup.make(cidrs: cidrs)
        defer { setup.stop() }
        try await setup.proxy.configure(["delay": 0.15])
        let first = try setup.launch()
        #expect(try await Self.poll { try await setup.writes() >= 8 }, "\(first.output.suffix(2000))")
        #expect(await first.stopped(signal: SIGKILL) == SIGKILL || !first.process.isRunning)
        // A write the proxy had already taken still reaches moto (EC2 applies what it received).
        #expect(try await Self.poll { try await setup.routesInMoto("10.101.").count == (try await setup.writes()) })
        let present = try await setup.routesInMoto("10.101.").count
        #expect(present >= 8 && present < 40, "killed in the middle of the burst: \(present) of 40")

        // The restart writes exactly the routes that are missing; the ones written before stay.
        try await setup.proxy.configure([:])
        try await setup.proxy.resetStats()
        let second = try setup.launch()
        #expect(try await Self.poll { try await setup.routesInMoto("10.101.").count == 40 }, "\(second.output.suffix(2000))")
        #expect(try await Self.poll { setup.ledger() == Set(cidrs) }, "the ledger holds every CIDR")
        #expect(try await setup.writes() == 40 - present, "only the missing routes were written")

        // Killed again once converged: the next start adopts every route without a single write.
        #expect(await second.stopped(signal: SIGKILL) == SIGKILL || !second.process.isRunning)
        try await setup.proxy.resetStats()
        let port = freeLoopbackPort()
        let third = try setup.launch(port: port)
        let adopted = try await Self.poll {
            guard let vpc = try? await HTTPProbe.request("http://127.0.0.1:\(port)/vpc").json as? [String: Any],
                  let tables = vpc["route_tables"] as? [String: [String: Any]] else { return false }
            let kept = tables.values.flatMap { (($0["routes"] as? [String: [String: Any]]) ?? [:]).filter { $0.key.hasPrefix("10.101.") }.values }
                .filter { $0["last_action"] as? String == "keep" }
            return kept.count == 40
        }
        #expect(adopted, "\(third.output.suffix(2000))")
        let stats = try await setup.proxy.stats()
        #expect((stats.actions["DescribeRouteTables"]?.forwarded ?? 0) >= 1)
        #expect(try await setup.writes() == 0, "adopting correct routes writes nothing: \(stats.actions.keys.sorted())")
        #expect(await third.stopped() == 0)
    }

    @Test(arguments: ["file", "proc"])
    func anUnusableStateDirectoryStopsStartUpWithExit1(kind: String) async throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-badstate")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        // procfs refuses new directories even to root, like a read-only mount.
        let stateDirectory = kind == "file" ? file.path : "/proc/vpcrouter-state-\(getpid())"
        let result = try await VPCRouterUnderTest.runDetached([
            "-m", "http", "-H", "tcp", "-p", "\(freeLoopbackPort())", "--state-dir", stateDirectory,
        ], timeout: 30)
        #expect(result.status == 1, "\(result.stderr)")
        let expected = kind == "file" ? "vpcrouter: state directory: state directory \(file.path) exists but is not a directory"
            : "vpcrouter: state directory: cannot create state directory \(stateDirectory): "
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(!result.stderr.contains("HTTP server listening") && !result.stderr.contains("plugin started"))
    }

    @Test func aCorruptLedgerStopsStartUpWithExit1AndIsLeftAlone() async throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-corrupt-ledger")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ledger = directory.appendingPathComponent("owned-routes.json")
        try Data(#"{"version": 1, "cidrs": ["10.1.0.0/16", "#.utf8).write(to: ledger)
        let result = try await VPCRouterUnderTest.runDetached([
            "-m", "http", "-H", "tcp", "-p", "\(freeLoopbackPort())", "--state-dir", directory.path,
        ], timeout: 30)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("vpcrouter: state directory: ledger \(ledger.path) is corrupt"), "\(result.stderr)")
        #expect(result.stderr.contains("fix or remove it"))
        #expect(try String(contentsOf: ledger, encoding: .utf8) == #"{"version": 1, "cidrs": ["10.1.0.0/16", "#, "the evidence is kept")
    }
}
