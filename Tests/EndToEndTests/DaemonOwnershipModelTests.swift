import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// The ownership rules over random step sequences, through the real daemon against moto (the
    /// planner-level check is OwnershipModelTests): spec changes, routes other teams create and
    /// withdraw in managed and unmanaged tables, router deaths and revivals, `vpcrouter plan`,
    /// `--dry-run` runs and SIGKILL restarts. After every step, once the VPC has settled:
    /// - a route vpcrouter may not touch (someone else's) is still there with its target, and no
    ///   ReplaceRoute or DeleteRoute hit one (the fault proxy reads each write's previous target);
    /// - every spec CIDR with a healthy listed router points at one in every managed table;
    /// - no route remains for a CIDR that left the spec, except someone else's;
    /// - plan and dry-run left the state directory byte for byte as they found it.
    /// A failure prints the seed and the steps run so far.
    @Suite(.serialized, .timeLimit(.minutes(15))) struct DaemonOwnershipModelTests {
        @Test func theOwnershipInvariantsHoldThroughTheDaemon() async throws {
            let environment = ProcessInfo.processInfo.environment
            // CI runs seed 1; VPCROUTER_MODEL_SEED and VPCROUTER_MODEL_STEPS replay a reported failure.
            let seed = environment["VPCROUTER_MODEL_SEED"].flatMap { UInt64($0) } ?? 1
            let steps = environment["VPCROUTER_MODEL_STEPS"].flatMap { Int($0) } ?? 200
            let run = try await DaemonModelRun.start()
            defer { run.stop() }
            if let report = try await run.run(seed: seed, count: steps) { Issue.record("\(report)") }
        }

        /// `make soak SEED=… MINUTES=…`: after the planner's soak, consecutive seeds from SEED on the
        /// daemon, 300 steps each, until MINUTES pass (the last seed runs to its end).
        @Test func soak() async throws {
            let environment = ProcessInfo.processInfo.environment
            guard let minutes = environment["VPCROUTER_SOAK_MINUTES"].flatMap(Double.init), minutes > 0 else { return }
            var seed = environment["VPCROUTER_SOAK_SEED"].flatMap { UInt64($0) } ?? 1
            let deadline = ContinuousClock.now + .milliseconds(Int64(minutes * 60_000))
            var checked = 0
            while ContinuousClock.now < deadline {
                let run = try await DaemonModelRun.start()
                defer { run.stop() }
                if let report = try await run.run(seed: seed, count: 300) {
                    Issue.record("\(report)")
                    return
                }
                seed += 1
                checked += 1
            }
            print("ownership model on the daemon: \(checked) seeds of 300 steps, no invariant broken; next seed \(seed)")
        }
    }
}

/// One step of the daemon model. Indices name the fixture's parts: routers 0 A, 1 B, 2 C; tables
/// 0 a, 1 b, 2 main; CIDRs from `DaemonModelRun.pool`.
enum DaemonModelStep: CustomStringConvertible, Sendable {
    typealias Spec = [Int: [Int]]
    case spec(Spec)
    /// Someone else creates a route in a free slot: to router D's ENI, to router A's ENI, or to an internet gateway.
    case foreign(table: Int, cidr: Int, target: Int)
    /// Someone else deletes one of their routes (index into the current list, modulo its size).
    case withdraw(Int)
    /// A router's health check starts failing, or passing again.
    case toggle(router: Int)
    /// The daemon stopped, the spec changed, `vpcrouter plan` run, the daemon started again.
    case plan(Spec)
    /// The daemon stopped, the spec changed, a `--dry-run` daemon run a while, the daemon started again.
    case dryRun(Spec)
    /// The daemon SIGKILLed, the spec changed while it is down, the daemon started again.
    case restart(Spec)
    /// For two seconds EC2 answers some requests 503 and cuts some answers short (the write was
    /// made, its answer lost), with a spec change in the middle.
    case faults(Spec)

    var kind: String {
        switch self {
        case .spec: "spec"
        case .foreign: "foreign"
        case .withdraw: "withdraw"
        case .toggle: "toggle"
        case .plan: "plan"
        case .dryRun: "dry-run"
        case .restart: "restart"
        case .faults: "faults"
        }
    }

    static let routerNames = ["A", "B", "C"]
    static let tableNames = ["a", "b", "main"]
    static let targetNames = ["eni-D", "eni-A", "igw"]

    static func describe(_ spec: Spec) -> String {
        "{" + spec.keys.sorted().map { "\(DaemonModelRun.pool[$0]): [\(spec[$0]!.map { routerNames[$0] }.joined(separator: ","))]" }
            .joined(separator: ", ") + "}"
    }

    var description: String {
        switch self {
        case .spec(let spec): "spec \(Self.describe(spec))"
        case .foreign(let table, let cidr, let target):
            "foreign \(DaemonModelRun.pool[cidr]) in table \(Self.tableNames[table]) -> \(Self.targetNames[target])"
        case .withdraw(let index): "withdraw foreign route #\(index)"
        case .toggle(let router): "toggle health of router \(Self.routerNames[router])"
        case .plan(let spec): "plan with spec \(Self.describe(spec))"
        case .dryRun(let spec): "dry run with spec \(Self.describe(spec))"
        case .restart(let spec): "SIGKILL, restart with spec \(Self.describe(spec))"
        case .faults(let spec): "EC2 faults for 2 s, spec \(Self.describe(spec))"
        }
    }

    /// SplitMix64, so a seed gives the same steps everywhere.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomSpec(_ random: inout SeededGenerator) -> Spec {
        var spec: Spec = [:]
        for cidr in DaemonModelRun.pool.indices where Int.random(in: 0..<10, using: &random) < 6 {
            // One list in ten is empty: that CIDR's routes in the managed tables go.
            spec[cidr] = Int.random(in: 0..<10, using: &random) == 0 ? [] : (0..<3).filter { _ in Bool.random(using: &random) }
        }
        // The daemon refuses an empty spec (the last good one stays), so a spec always lists a CIDR.
        if spec.isEmpty { spec[Int.random(in: 0..<DaemonModelRun.pool.count, using: &random)] = [Int.random(in: 0..<3, using: &random)] }
        return spec
    }

    static func steps(seed: UInt64, count: Int) -> [DaemonModelStep] {
        var random = SeededGenerator(state: seed)
        return (0..<count).map { _ in
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<43: .spec(randomSpec(&random))
            case 43..<45: .faults(randomSpec(&random))
            case 45..<70: .foreign(table: Int.random(in: 0..<3, using: &random), cidr: Int.random(in: 0..<DaemonModelRun.pool.count, using: &random),
                                   target: Int.random(in: 0..<3, using: &random))
            case 70..<78: .withdraw(Int.random(in: 0..<100, using: &random))
            case 78..<86: .toggle(router: Int.random(in: 0..<3, using: &random))
            case 86..<92: .plan(randomSpec(&random))
            case 92..<96: .dryRun(randomSpec(&random))
            default: .restart(randomSpec(&random))
            }
        }
    }
}

/// moto, the fixture, three routers with TCP listeners and the daemon under test, with the model
/// of what the VPC must look like.
final class DaemonModelRun: @unchecked Sendable {
    static let pool = ["10.91.0.0/16", "10.92.0.0/16", "10.93.0.0/16", "10.94.0.0/16"].map { IPv4CIDR($0)! }
    static let addresses = ["10.0.1.10", "10.0.2.20", "10.0.1.30"]
    /// The table (index) of each router's subnet: A and C in subnet a, B in subnet b.
    static let routerTable = [0, 1, 0]

    /// A route someone else owns: vpcrouter must never change or delete it.
    struct ForeignRoute: Equatable, CustomStringConvertible {
        let table: Int
        let cidr: Int
        let target: String
        var description: String { "\(DaemonModelStep.tableNames[table]) \(DaemonModelRun.pool[cidr]) -> \(target)" }
    }

    let moto: MotoServer
    /// Between the daemon and moto: records each route write with the target it replaced.
    let proxy: FaultProxy
    var writesChecked = 0
    let fixture: MotoFixture
    let ec2: EC2Client
    let routers: RouterNamespaces
    let gateway: String
    let specFile: EndToEnd.OwnershipTests.SpecFile
    let state: URL
    var daemon: DaemonProcess?
    var port = freeLoopbackPort()

    var spec: DaemonModelStep.Spec = [0: [0]]
    var alive: Set<Int> = [0, 1, 2]
    /// Someone else's routes, which must stay as they are.
    var foreign: [ForeignRoute] = []
    /// Routes someone else created that then fell under the spec (a spec CIDR in a managed table):
    /// vpcrouter may have taken them over, so they may stay after the CIDR left the spec, or go.
    var adopted: [ForeignRoute] = []

    private init(moto: MotoServer, proxy: FaultProxy, fixture: MotoFixture, routers: RouterNamespaces, gateway: String) throws {
        self.moto = moto
        self.proxy = proxy
        self.fixture = fixture
        self.routers = routers
        self.gateway = gateway
        ec2 = moto.client(for: fixture)
        specFile = try EndToEnd.OwnershipTests.SpecFile()
        state = try PackagePaths.temporaryDirectory("vpcr-e2e-model-state")
    }

    static func start() async throws -> DaemonModelRun {
        let moto = try await MotoServer.start()
        do {
            let fixture = try await moto.fixture()
            let ec2 = moto.client(for: fixture)
            let gateway = try await ec2.call("CreateInternetGateway", []).child("internetGateway")?.string("internetGatewayId") ?? ""
            _ = try await ec2.call("AttachInternetGateway", [("InternetGatewayId", gateway), ("VpcId", fixture.vpcId)])
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            do {
                try await proxy.configure(["record_writes": true])
                let routers = try await RouterNamespaces.listening(addresses, port: 9)
                return try DaemonModelRun(moto: moto, proxy: proxy, fixture: fixture, routers: routers, gateway: gateway)
            } catch {
                proxy.stop()
                throw error
            }
        } catch {
            moto.stop()
            throw error
        }
    }

    func stop() {
        _ = daemon?.stop(signal: SIGKILL)
        daemon = nil
        routers.remove()
        proxy.stop()
        moto.stop()
    }

    var tableIds: [String] { [fixture.routeTableA, fixture.routeTableB, fixture.mainRouteTable] }
    var routerENIs: [[String]] { [[fixture.eniA], [fixture.eniB], [fixture.eniC, fixture.eniC2]] }
    var foreignTargets: [String] { [fixture.eniD, fixture.eniA, gateway] }

    func arguments(_ extra: [String] = []) -> [String] {
        ["-r", fixture.region, "-v", fixture.vpcId, "-m", "configfile", "-f", specFile.path,
         "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
         "--route_recheck_interval", "5", "--state-dir", state.path] + extra
    }

    func writeSpec(_ spec: DaemonModelStep.Spec) throws {
        self.spec = spec
        var routes: [IPv4CIDR: [String]] = [:]
        for (cidr, list) in spec { routes[Self.pool[cidr]] = list.map { Self.addresses[$0] } }
        try specFile.write(routes)
    }

    func startDaemon() throws {
        port = freeLoopbackPort()
        daemon = try DaemonProcess(PackagePaths.vpcrouter, arguments(["-p", "\(port)"]),
                                   environment: VPCRouterUnderTest.environment(ec2Endpoint: proxy.endpoint.absoluteString))
    }

    /// Tables the spec's routers' subnets use (whatever their health).
    var managedTables: Set<Int> {
        Set(spec.values.flatMap { $0 }.map { Self.routerTable[$0] })
    }

    /// Someone else's routes that fell under the spec are no longer theirs alone: the spec is the
    /// operator's word there (gateway routes excepted, which stay someone else's).
    func updateOwnership() {
        let managed = managedTables
        for route in foreign where route.target != gateway && spec[route.cidr] != nil && managed.contains(route.table) {
            adopted.append(route)
        }
        foreign.removeAll { route in adopted.contains(route) }
    }

    /// The route for each (table, CIDR) of the pool, as "eni-…", "igw-…" or nil.
    func observe() async throws -> [[String?]] {
        let tables = try await ec2.describeRouteTables(vpcId: fixture.vpcId)
        return tableIds.map { id in
            let table = tables.first { $0.routeTableId == id }
            return Self.pool.map { cidr in
                guard let route = table?.route(to: cidr) else { return nil }
                return route.networkInterfaceId ?? route.gatewayId ?? route.instanceId ?? "?"
            }
        }
    }

    /// Someone else's routes that are gone or changed: never allowed, at any moment.
    func brokenForeignRoutes(_ observed: [[String?]]) -> [String] {
        foreign.filter { observed[$0.table][$0.cidr] != $0.target }.map {
            "someone else's route \($0) was changed: now \(observed[$0.table][$0.cidr] ?? "deleted")"
        }
    }

    /// Route writes since the last check that replaced or deleted someone else's route, as the
    /// proxy read it just before the write.
    func foreignRoutesWritten() async throws -> [String] {
        let writes = try await proxy.writes()
        defer { writesChecked = writes.count }
        return writes.dropFirst(writesChecked).filter { write in
            guard write.action != "CreateRoute", let previous = write.previous,
                  let table = tableIds.firstIndex(of: write.table), let cidr = Self.pool.firstIndex(where: { $0.description == write.cidr })
            else { return false }
            return foreign.contains(ForeignRoute(table: table, cidr: cidr, target: previous))
        }.map { "the daemon wrote over someone else's route: \($0)" }
    }

    /// What does not hold yet once the VPC has settled.
    func unsettled(_ observed: [[String?]]) -> [String] {
        var problems: [String] = []
        let managed = managedTables
        for (cidr, list) in spec {
            let healthy = Set(list.filter(alive.contains).flatMap { routerENIs[$0] })
            guard !healthy.isEmpty else { continue }
            for table in managed.sorted() where !foreign.contains(where: { $0.table == table && $0.cidr == cidr }) {
                let target = observed[table][cidr]
                if !(target.map(healthy.contains) ?? false) {
                    problems.append("\(Self.pool[cidr]) in table \(DaemonModelStep.tableNames[table]) -> \(target ?? "none"), not one of \(healthy.sorted())")
                }
            }
        }
        for cidr in Self.pool.indices where spec[cidr] == nil {
            for table in tableIds.indices {
                guard let target = observed[table][cidr] else { continue }
                let route = ForeignRoute(table: table, cidr: cidr, target: target)
                if !foreign.contains(route) && !adopted.contains(route) {
                    problems.append("\(Self.pool[cidr]) left the spec but table \(DaemonModelStep.tableNames[table]) still routes it -> \(target)")
                }
            }
        }
        return problems
    }

    /// Polls moto until every invariant holds (nil) or the deadline passes (what still fails).
    /// A changed foreign route fails at once: it cannot come back.
    func settle(timeout: Duration = .seconds(60)) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        var problems: [String] = []
        while true {
            let observed = try await observe()
            let broken = brokenForeignRoutes(observed)
            if !broken.isEmpty { return broken.joined(separator: "\n") }
            problems = unsettled(observed)
            if problems.isEmpty {
                // Adopted routes that someone else's tooling or vpcrouter removed are nobody's now.
                adopted.removeAll { observed[$0.table][$0.cidr] != $0.target }
                return nil
            }
            if ContinuousClock.now >= deadline { return "not settled within \(timeout):\n" + problems.joined(separator: "\n") }
            try await Task.sleep(for: .milliseconds(150))
        }
    }

    /// Stops the daemon cleanly and checks that `body` leaves the state directory as it was.
    func withDaemonStopped(_ newSpec: DaemonModelStep.Spec, _ what: String, _ body: () async throws -> String) async throws -> String? {
        let status = await daemon?.stopped() ?? 0
        daemon = nil
        // A daemon still starting may die of the signal before its handler is installed: a stop too.
        guard status == 0 || status == SIGTERM else { return "the daemon exited with \(status) on SIGTERM" }
        try writeSpec(newSpec)
        let before = try StateDirectorySnapshot.take(state)
        let output = try await body()
        let after = try StateDirectorySnapshot.take(state)
        try startDaemon()
        if after != before {
            return "\(what) changed the state directory\nbefore:\n\(before?.description ?? "absent")\nafter:\n\(after?.description ?? "absent")\n\(output)"
        }
        return nil
    }

    /// Runs one step; returns a broken invariant or nil.
    func perform(_ step: DaemonModelStep) async throws -> String? {
        switch step {
        case .spec(let newSpec):
            try writeSpec(newSpec)
            // The daemon sees the change through inotify; give it that moment before judging.
            try await Task.sleep(for: .milliseconds(400))
        case .foreign(let table, let cidr, let target):
            // Only into a free slot: someone creating their own route, not overwriting one.
            guard try await observe()[table][cidr] == nil else { return nil }
            let route = ForeignRoute(table: table, cidr: cidr, target: foreignTargets[target])
            do {
                if target == 2 {
                    _ = try await ec2.call("CreateRoute", [("RouteTableId", tableIds[table]), ("DestinationCidrBlock", Self.pool[cidr].description),
                                                           ("GatewayId", gateway)])
                } else {
                    try await ec2.createRoute(routeTableId: tableIds[table], destination: Self.pool[cidr], networkInterfaceId: route.target)
                }
                foreign.append(route)
            } catch let error as EC2Error where error.code == .routeAlreadyExists {
                // The daemon created it since the read (a recheck pass): the slot was not free after all.
            }
        case .withdraw(let index):
            guard !foreign.isEmpty else { return nil }
            let route = foreign.remove(at: index % foreign.count)
            try await ec2.deleteRoute(routeTableId: tableIds[route.table], destination: Self.pool[route.cidr])
        case .toggle(let router):
            if alive.contains(router) {
                try routers.stopListening(Self.addresses[router])
                alive.remove(router)
            } else {
                try routers.listen(Self.addresses[router], port: 9)
                alive.insert(router)
            }
        case .plan(let newSpec):
            let problem = try await withDaemonStopped(newSpec, "vpcrouter plan") {
                let result = try await ProcessRunner.runDetached(
                    PackagePaths.vpcrouter, ["plan"] + arguments(),
                    environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString), timeout: 60)
                guard result.status == 0 else { throw HarnessError("vpcrouter plan exited \(result.status): \(result.stderr)") }
                return result.stdout
            }
            if let problem { return problem }
        case .dryRun(let newSpec):
            let problem = try await withDaemonStopped(newSpec, "a --dry-run daemon") {
                let dry = try DaemonProcess(PackagePaths.vpcrouter, arguments(["--dry-run", "-p", "\(freeLoopbackPort())"]),
                                            environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString))
                // A pass with writes to skip says so; one without has nothing to say: 3 s either way.
                _ = await dry.output(containing: "dry run: no route written", timeout: .seconds(3))
                try await Task.sleep(for: .milliseconds(500))
                let status = await dry.stopped()
                guard status == 0 else { throw HarnessError("the --dry-run daemon exited \(status): \(dry.output)") }
                return dry.output
            }
            if let problem { return problem }
        case .faults(let newSpec):
            try await proxy.configure(["record_writes": true, "error503": 0.3, "truncated": 0.3])
            try await Task.sleep(for: .seconds(1))
            try writeSpec(newSpec)
            try await Task.sleep(for: .seconds(1))
            try await proxy.configure(["record_writes": true])
        case .restart(let newSpec):
            _ = await daemon?.stopped(signal: SIGKILL)
            daemon = nil
            try writeSpec(newSpec)
            try startDaemon()
        }
        updateOwnership()
        if let problem = try await settle() { return problem }
        let written = try await foreignRoutesWritten()
        return written.isEmpty ? nil : written.joined(separator: "\n")
    }

    /// Runs the seed's steps; on a failure, the seed, the steps run and the daemon's log tail.
    func run(seed: UInt64, count: Int) async throws -> String? {
        let steps = DaemonModelStep.steps(seed: seed, count: count)
        try writeSpec(spec)
        try startDaemon()
        let started = ContinuousClock.now
        if let problem = try await settle() { return "seed \(seed): before the first step: \(problem)\n\(daemon?.output ?? "")" }
        for (index, step) in steps.enumerated() {
            let outcome: String?
            do {
                outcome = try await perform(step)
            } catch {
                outcome = "the step failed: \(error)"
            }
            if let problem = outcome {
                let listing = steps[...index].enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
                let log = (daemon?.output ?? "").split(separator: "\n").suffix(60).joined(separator: "\n")
                return """
                    seed \(seed): after step \(index + 1) of \(count) (\(step)): \(problem)
                    foreign routes: \(foreign); adopted: \(adopted); routers alive: \(alive.sorted().map { DaemonModelStep.routerNames[$0] })
                    steps (replay them with VPCROUTER_MODEL_SEED=\(seed) VPCROUTER_MODEL_STEPS=\(index + 1)):
                    \(listing)
                    daemon log (tail):
                    \(log)
                    """
            }
        }
        let elapsed = ContinuousClock.now - started
        var kinds: [String: Int] = [:]
        for step in steps { kinds[step.kind, default: 0] += 1 }
        print("ownership model on the daemon: seed \(seed), \(count) steps in \(elapsed), no invariant broken; "
              + "steps by kind \(kinds.sorted { $0.key < $1.key }); \(writesChecked) route writes checked; someone else's routes at the end: \(foreign)")
        return nil
    }
}
