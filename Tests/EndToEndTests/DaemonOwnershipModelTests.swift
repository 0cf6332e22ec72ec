import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// The ownership rules over random step sequences, through the real daemon against moto (the
    /// planner-level check is OwnershipModelTests): spec changes, routes other teams create and
    /// withdraw in managed and unmanaged tables (to ENIs, an internet gateway, a NAT gateway),
    /// router deaths and revivals, routers stopped and started, a router's ENI detached, deleted
    /// and made again, subnets moved between route tables, `vpcrouter plan`, `--dry-run` runs,
    /// SIGKILL restarts and EC2 faults. After every step, once the VPC has settled:
    /// - a route vpcrouter may not touch (someone else's) is still there with its target, and no
    ///   ReplaceRoute or DeleteRoute hit one (the fault proxy reads each write's previous target);
    /// - every spec CIDR with an eligible router (healthy, instance running, ENI attached) points at
    ///   one in every managed table;
    /// - no route remains for a CIDR that left the spec (or has no routers), except someone else's;
    ///   one vpcrouter wrote in a table it does not manage now stays on an eligible router while its
    ///   CIDR is in the spec;
    /// - plan and dry-run left the state directory byte for byte as they found it.
    /// A failure prints the seed and the steps run, then replays shorter step lists from a fresh
    /// fixture (StepListShrinker) and prints the shortest that still breaks the same invariant.
    @Suite(.serialized) struct DaemonOwnershipModelTests {
        /// CI runs seed 1, 200 steps. VPCROUTER_MODEL_SEED and VPCROUTER_MODEL_STEPS replay a
        /// reported failure; VPCROUTER_MODEL_KEEP (step numbers, comma-separated) runs only those
        /// steps of the seed's list, as a shrunk failure prints them. VPCROUTER_MODEL_SHRINK_SECONDS
        /// bounds the shrinking (default 300; 0 turns it off).
        /// About 2 minutes; a failure's shrinking adds up to 5.
        @Test(.timeLimit(.minutes(15))) func theOwnershipInvariantsHoldThroughTheDaemon() async throws {
            let environment = ProcessInfo.processInfo.environment
            let seed = environment["VPCROUTER_MODEL_SEED"].flatMap { UInt64($0) } ?? 1
            let steps = environment["VPCROUTER_MODEL_STEPS"].flatMap { Int($0) } ?? 200
            let keep = try environment["VPCROUTER_MODEL_KEEP"].map(DaemonModel.stepNumbers)
            if let report = try await DaemonModel.check(seed: seed, count: steps, keep: keep, shrinkBudget: DaemonModel.shrinkBudget) {
                Issue.record("\(report)")
            }
        }

        /// `make soak SEED=… MINUTES=…`: after the planner's soak, consecutive seeds from SEED on the
        /// daemon, 300 steps each, until MINUTES pass (the last seed runs to its end). Its own time
        /// limit, a day: one shared with the CI test cut long soaks short (the test process
        /// crashed on the cancelled requests).
        @Test(.timeLimit(.minutes(24 * 60))) func soak() async throws {
            let environment = ProcessInfo.processInfo.environment
            guard let minutes = environment["VPCROUTER_SOAK_MINUTES"].flatMap(Double.init), minutes > 0 else { return }
            var seed = environment["VPCROUTER_SOAK_SEED"].flatMap { UInt64($0) } ?? 1
            let deadline = ContinuousClock.now + .milliseconds(Int64(minutes * 60_000))
            var checked = 0
            while ContinuousClock.now < deadline {
                if let report = try await DaemonModel.check(seed: seed, count: 300, keep: nil, shrinkBudget: DaemonModel.shrinkBudget) {
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

/// Runs a seed's steps through a fresh fixture and, on a failure, shrinks the step list.
enum DaemonModel {
    static var shrinkBudget: Duration {
        .seconds(ProcessInfo.processInfo.environment["VPCROUTER_MODEL_SHRINK_SECONDS"].flatMap { Int($0) } ?? 300)
    }

    /// "3,17,42" → [3, 17, 42] (1-based step numbers).
    static func stepNumbers(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let number = Int(part.trimmingCharacters(in: .whitespaces)), number > 0 else {
                throw HarnessError("VPCROUTER_MODEL_KEEP: \"\(part)\" is not a step number (1 or more)")
            }
            return number
        }
    }

    static func listing(_ numbers: [Int], _ steps: [DaemonModelStep]) -> String {
        numbers.map { "  \($0). \(steps[$0 - 1])" }.joined(separator: "\n")
    }

    static func replay(seed: UInt64, count: Int, keep: [Int]?) -> String {
        "VPCROUTER_MODEL_SEED=\(seed) VPCROUTER_MODEL_STEPS=\(count)" + (keep.map { " VPCROUTER_MODEL_KEEP=" + $0.map(String.init).joined(separator: ",") } ?? "")
            + " swift test --skip-build --filter DaemonOwnershipModelTests/theOwnershipInvariantsHoldThroughTheDaemon"
    }

    /// Runs the seed's steps (only `keep`'s, when given) from a fresh fixture; nil when every
    /// invariant held, else the report.
    static func check(seed: UInt64, count: Int, keep: [Int]?, shrinkBudget: Duration) async throws -> String? {
        let steps = DaemonModelStep.steps(seed: seed, count: count)
        let numbers = keep ?? (0..<max(count, 0)).map { $0 + 1 }
        if let wrong = numbers.first(where: { $0 > count }) { throw HarnessError("step \(wrong) is past the seed's \(count) steps") }
        let run = try await DaemonModelRun.start()
        let failure: DaemonModelFailure?
        do {
            failure = try await run.run(numbers.map { ($0, steps[$0 - 1]) }, seed: seed)
            run.stop()
        } catch {
            run.stop()
            throw error
        }
        guard let failure else { return nil }
        let failing = Array(numbers.prefix(failure.stepsRun))
        var report = """
            seed \(seed): \(failure)
            steps (replay them with \(keep == nil ? replay(seed: seed, count: failing.last ?? 0, keep: nil) : replay(seed: seed, count: count, keep: failing))):
            \(listing(failing, steps))
            """
        guard failing.count > 1, shrinkBudget > .zero else { return report }
        let started = ContinuousClock.now
        let outcome = await StepListShrinker<Int>(budget: shrinkBudget).shrink(failing) { candidate in
            // A replay that cannot run (moto would not start) counts as not failing.
            guard let replay = try? await DaemonModelRun.start() else { return false }
            defer { replay.stop() }
            let again = try? await replay.run(candidate.map { ($0, steps[$0 - 1]) }, seed: seed, summary: false)
            return again?.kind == failure.kind
        }
        report += """

            shrunk in \(ContinuousClock.now - started) (\(outcome.attempts) replays\(outcome.minimal ? ", no single step can go" : ", budget spent")) \
            to \(outcome.steps.count) of \(failing.count) steps, still \(failure.kind.rawValue):
            \(listing(outcome.steps, steps))
            replay: \(replay(seed: seed, count: count, keep: outcome.steps))
            """
        return report
    }
}

/// The first invariant a run broke, and where.
struct DaemonModelFailure: CustomStringConvertible {
    enum Kind: String {
        case foreignRouteChanged = "someone else's route changed"
        case notSettled = "not settled"
        case stateDirectoryChanged = "state directory changed"
        case daemonExit = "daemon exit"
        case stepFailed = "step failed"
    }

    let kind: Kind
    let problem: String
    /// How many steps of the list ran, the failing one included (0: before the first).
    var stepsRun = 0
    var step = ""
    var model = ""
    var log = ""

    init(_ kind: Kind, _ problem: String) {
        self.kind = kind
        self.problem = problem
    }

    var description: String {
        """
        \(stepsRun == 0 ? "before the first step" : "after step \(stepsRun) of the list (\(step))"): \(kind.rawValue): \(problem)
        \(model)
        daemon log (tail):
        \(log)
        """
    }
}

/// One step of the daemon model. Indices name the fixture's parts: routers 0 A, 1 B, 2 C, 3 E;
/// subnets 0 a, 1 b, 2 c; tables 0 a, 1 b, 2 main, 3 c; CIDRs from `DaemonModelRun.pool`.
enum DaemonModelStep: CustomStringConvertible, Sendable {
    typealias Spec = [Int: [Int]]

    /// What happens to router E's ENI (its second ENI, so it can be detached as in EC2).
    enum ENIChange: String, CaseIterable, Sendable {
        /// Detached from the instance: it keeps the router's address in subnet c, the router is ineligible.
        case detach
        /// Attached again (made again with the router's address first if it was deleted).
        case attach
        /// Detached and deleted: the router's address leaves the VPC, and with it subnet c's
        /// reason to be managed; routes to it point at an ENI that is gone.
        case delete
    }

    case spec(Spec)
    /// Someone else creates a route in a free slot: to router D's ENI, to router A's ENI, to an
    /// internet gateway or to a NAT gateway.
    case foreign(table: Int, cidr: Int, target: Int)
    /// Someone else deletes one of their routes (index into the current list, modulo its size).
    case withdraw(Int)
    /// A router's health check starts failing, or passing again.
    case toggle(router: Int)
    /// A subnet moves to a route table (the main table: its explicit association removed).
    case associate(subnet: Int, table: Int)
    /// Router E's ENI detached, attached or deleted.
    case eni(ENIChange)
    /// A router's instance stopped, or started again.
    case power(router: Int)
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
        case .associate: "associate"
        case .eni: "eni"
        case .power: "power"
        case .plan: "plan"
        case .dryRun: "dry-run"
        case .restart: "restart"
        case .faults: "faults"
        }
    }

    static let routerNames = ["A", "B", "C", "E"]
    static let subnetNames = ["a", "b", "c"]
    static let tableNames = ["a", "b", "main", "c"]
    static let targetNames = ["eni-D", "eni-A", "igw", "nat"]

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
        case .associate(let subnet, let table): "subnet \(Self.subnetNames[subnet]) to table \(Self.tableNames[table])"
        case .eni(let change): "\(change.rawValue) router E's ENI"
        case .power(let router): "stop or start router \(Self.routerNames[router])'s instance"
        case .plan(let spec): "plan with spec \(Self.describe(spec))"
        case .dryRun(let spec): "dry run with spec \(Self.describe(spec))"
        case .restart(let spec): "SIGKILL, restart with spec \(Self.describe(spec))"
        case .faults(let spec): "EC2 faults for 2 s, spec \(Self.describe(spec))"
        }
    }

    static func randomSpec(_ random: inout SeededGenerator) -> Spec {
        var spec: Spec = [:]
        for cidr in DaemonModelRun.pool.indices where Int.random(in: 0..<10, using: &random) < 6 {
            // One list in ten is empty: that CIDR's routes in the managed tables go.
            spec[cidr] = Int.random(in: 0..<10, using: &random) == 0 ? [] : routerNames.indices.filter { _ in Bool.random(using: &random) }
        }
        // The daemon refuses an empty spec (the last good one stays), so a spec always lists a CIDR.
        if spec.isEmpty { spec[Int.random(in: 0..<DaemonModelRun.pool.count, using: &random)] = [Int.random(in: 0..<routerNames.count, using: &random)] }
        return spec
    }

    static func steps(seed: UInt64, count: Int) -> [DaemonModelStep] {
        var random = SeededGenerator(state: seed)
        return (0..<count).map { _ in
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<36: .spec(randomSpec(&random))
            case 36..<38: .faults(randomSpec(&random))
            case 38..<60: .foreign(table: Int.random(in: 0..<tableNames.count, using: &random),
                                   cidr: Int.random(in: 0..<DaemonModelRun.pool.count, using: &random),
                                   target: Int.random(in: 0..<targetNames.count, using: &random))
            case 60..<67: .withdraw(Int.random(in: 0..<100, using: &random))
            case 67..<74: .toggle(router: Int.random(in: 0..<routerNames.count, using: &random))
            case 74..<79: .associate(subnet: Int.random(in: 0..<subnetNames.count, using: &random),
                                     table: Int.random(in: 0..<tableNames.count, using: &random))
            case 79..<84: .eni(ENIChange.allCases[Int.random(in: 0..<ENIChange.allCases.count, using: &random)])
            case 84..<88: .power(router: Int.random(in: 0..<routerNames.count, using: &random))
            case 88..<93: .plan(randomSpec(&random))
            case 93..<96: .dryRun(randomSpec(&random))
            default: .restart(randomSpec(&random))
            }
        }
    }
}

/// moto, the fixture (plus subnet c with router E and a NAT gateway), four routers with TCP
/// listeners and the daemon under test, with the model of what the VPC must look like.
final class DaemonModelRun: @unchecked Sendable {
    static let pool = ["10.91.0.0/16", "10.92.0.0/16", "10.93.0.0/16", "10.94.0.0/16"].map { IPCIDR($0)! }
    /// Routers A, B, C of the fixture, and E: the second ENI of an instance in subnet c.
    static let addresses = ["10.0.1.10", "10.0.2.20", "10.0.1.30", "10.0.3.50"]
    /// The subnet (index) of each router's address: A and C in a, B in b, E in c.
    static let routerSubnet = [0, 1, 0, 2]
    static let routerE = 3
    static let mainTable = 2

    /// A route someone else owns: vpcrouter must never change or delete it.
    struct ForeignRoute: Equatable, CustomStringConvertible {
        let table: Int
        let cidr: Int
        let target: String
        var description: String { "\(DaemonModelStep.tableNames[table]) \(DaemonModelRun.pool[cidr]) -> \(target)" }
    }

    /// What the model run adds to the standard fixture.
    struct SubnetC {
        let subnet: String
        let table: String
        /// Router E's instance (its primary address 10.0.3.5 is no router).
        let instance: String
        let eni: String
        let attachment: String
        let natGateway: String

        static func build(_ ec2: EC2Client, _ fixture: MotoFixture) async throws -> SubnetC {
            func id(_ value: String?, _ what: String) throws -> String {
                guard let value else { throw HarnessError("moto gave no \(what)") }
                return value
            }
            let subnet = try id(try await ec2.call("CreateSubnet", [
                ("VpcId", fixture.vpcId), ("CidrBlock", "10.0.3.0/24"), ("AvailabilityZone", "us-east-1c"),
            ]).child("subnet")?.string("subnetId"), "subnet")
            let table = try id(try await ec2.call("CreateRouteTable", [("VpcId", fixture.vpcId)]).child("routeTable")?.string("routeTableId"), "route table")
            _ = try await ec2.call("AssociateRouteTable", [("RouteTableId", table), ("SubnetId", subnet)])
            let image = try id(try await ec2.call("DescribeImages", []).items("imagesSet").first?.string("imageId"), "image")
            let instance = try id(try await ec2.call("RunInstances", [
                ("ImageId", image), ("MinCount", "1"), ("MaxCount", "1"), ("InstanceType", "t3.micro"), ("SubnetId", subnet),
                ("PrivateIpAddress", "10.0.3.5"),
            ]).items("instancesSet").first?.string("instanceId"), "instance")
            let eni = try await createENI(ec2, subnet: subnet)
            let attachment = try await attach(ec2, eni: eni, instance: instance)
            let allocation = try id(try await ec2.call("AllocateAddress", [("Domain", "vpc")]).string("allocationId"), "allocation")
            let nat = try id(try await ec2.call("CreateNatGateway", [("SubnetId", subnet), ("AllocationId", allocation)])
                .child("natGateway")?.string("natGatewayId"), "NAT gateway")
            return SubnetC(subnet: subnet, table: table, instance: instance, eni: eni, attachment: attachment, natGateway: nat)
        }

        static func createENI(_ ec2: EC2Client, subnet: String) async throws -> String {
            let answer = try await ec2.call("CreateNetworkInterface", [("SubnetId", subnet), ("PrivateIpAddress", DaemonModelRun.addresses[routerE])])
            guard let eni = answer.child("networkInterface")?.string("networkInterfaceId") else { throw HarnessError("moto gave no ENI") }
            return eni
        }

        static func attach(_ ec2: EC2Client, eni: String, instance: String) async throws -> String {
            let answer = try await ec2.call("AttachNetworkInterface", [("NetworkInterfaceId", eni), ("InstanceId", instance), ("DeviceIndex", "1")])
            guard let attachment = answer.string("attachmentId") else { throw HarnessError("moto gave no attachment id") }
            return attachment
        }
    }

    let moto: MotoServer
    /// Between the daemon and moto: records each route write with the target it replaced.
    let proxy: FaultProxy
    var writesChecked = 0
    let fixture: MotoFixture
    let subnetC: SubnetC
    let ec2: EC2Client
    let routers: RouterNamespaces
    let gateway: String
    let specFile: EndToEnd.OwnershipTests.SpecFile
    let state: URL
    var daemon: DaemonProcess?
    var port = freeLoopbackPort()

    var spec: DaemonModelStep.Spec = [0: [0]]
    var alive: Set<Int> = [0, 1, 2, 3]
    /// Routers whose instance runs.
    var running: Set<Int> = [0, 1, 2, 3]
    /// The route table each subnet uses.
    var association = [0, 1, 3]
    /// Router E's ENI (nil: deleted) and its attachment (nil: detached).
    var eniE: String?
    var attachmentE: String?
    /// Someone else's routes, which must stay as they are.
    var foreign: [ForeignRoute] = []
    /// Routes someone else created that then fell under the spec (a spec CIDR in a managed table):
    /// vpcrouter may have taken them over, so they may stay after the CIDR left the spec, or go.
    var adopted: [ForeignRoute] = []

    private init(moto: MotoServer, proxy: FaultProxy, fixture: MotoFixture, subnetC: SubnetC, routers: RouterNamespaces, gateway: String) throws {
        self.moto = moto
        self.proxy = proxy
        self.fixture = fixture
        self.subnetC = subnetC
        self.routers = routers
        self.gateway = gateway
        eniE = subnetC.eni
        attachmentE = subnetC.attachment
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
            let subnetC = try await SubnetC.build(ec2, fixture)
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            do {
                try await proxy.configure(normalProxy)
                let routers = try await RouterNamespaces.listening(addresses, port: 9)
                return try DaemonModelRun(moto: moto, proxy: proxy, fixture: fixture, subnetC: subnetC, routers: routers, gateway: gateway)
            } catch {
                proxy.stop()
                throw error
            }
        } catch {
            moto.stop()
            throw error
        }
    }

    /// Every write recorded; a CreateRoute over an existing route refused as EC2 does (moto would
    /// silently overwrite it).
    static var normalProxy: [String: Any] { ["record_writes": true, "route_exists": true] }

    func stop() {
        _ = daemon?.stop(signal: SIGKILL)
        daemon = nil
        routers.remove()
        proxy.stop()
        moto.stop()
    }

    var tableIds: [String] { [fixture.routeTableA, fixture.routeTableB, fixture.mainRouteTable, subnetC.table] }
    var subnetIds: [String] { [fixture.subnetA, fixture.subnetB, subnetC.subnet] }
    var instances: [String] { [fixture.routerA, fixture.routerB, fixture.routerC, subnetC.instance] }
    var routerENIs: [[String]] { [[fixture.eniA], [fixture.eniB], [fixture.eniC, fixture.eniC2], eniE.map { [$0] } ?? []] }
    var foreignTargets: [String] { [fixture.eniD, fixture.eniA, gateway, subnetC.natGateway] }

    func arguments(_ extra: [String] = []) -> [String] {
        ["-r", fixture.region, "-v", fixture.vpcId, "-m", "configfile", "-f", specFile.path,
         "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
         "--route_recheck_interval", "5", "--state-dir", state.path] + extra
    }

    func writeSpec(_ spec: DaemonModelStep.Spec) throws {
        self.spec = spec
        var routes: [IPCIDR: [String]] = [:]
        for (cidr, list) in spec { routes[Self.pool[cidr]] = list.map { Self.addresses[$0] } }
        try specFile.write(routes)
    }

    func startDaemon() throws {
        port = freeLoopbackPort()
        daemon = try DaemonProcess(PackagePaths.vpcrouter, arguments(["-p", "\(port)"]),
                                   environment: VPCRouterUnderTest.environment(ec2Endpoint: proxy.endpoint.absoluteString))
    }

    /// A router whose address some ENI in the VPC holds.
    func present(_ router: Int) -> Bool { router != Self.routerE || eniE != nil }

    /// A router a route may go to: healthy, its instance running, its ENI there and attached.
    func eligible(_ router: Int) -> Bool {
        alive.contains(router) && running.contains(router) && present(router) && (router != Self.routerE || attachmentE != nil)
    }

    var listedRouters: Set<Int> { Set(spec.values.flatMap { $0 }) }

    /// The spec lists routers but the VPC holds none of them: the daemon changes nothing at all
    /// (a wrong VPC id must not empty route tables).
    var holds: Bool { !listedRouters.isEmpty && !listedRouters.contains(where: present) }

    /// Tables that serve the subnet of a spec router the VPC holds (whatever its health).
    var managedTables: Set<Int> {
        Set(listedRouters.filter(present).map { association[Self.routerSubnet[$0]] })
    }

    /// Someone else's ENI routes that fell under the spec are no longer theirs alone: the spec is
    /// the operator's word there (gateway routes excepted, which stay someone else's).
    func updateOwnership() {
        guard !holds else { return }
        let managed = managedTables
        for route in foreign where route.target.hasPrefix("eni-") && spec[route.cidr] != nil && managed.contains(route.table) {
            adopted.append(route)
        }
        foreign.removeAll { route in adopted.contains(route) }
    }

    /// The route for each (table, CIDR) of the pool, as "eni-…", "igw-…", "nat-…" or nil.
    func observe() async throws -> [[String?]] {
        let tables = try await ec2.describeRouteTables(vpcId: fixture.vpcId)
        return tableIds.map { id in
            let table = tables.first { $0.routeTableId == id }
            return Self.pool.map { cidr in
                guard let route = table?.route(to: cidr) else { return nil }
                return route.networkInterfaceId ?? route.gatewayId ?? route.natGatewayId ?? route.instanceId ?? "?"
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
        // Holding, the daemon changes nothing: only someone else's routes are checked.
        guard !holds else { return [] }
        var problems: [String] = []
        let managed = managedTables
        for (cidr, list) in spec {
            let healthy = Set(list.filter(eligible).flatMap { routerENIs[$0] })
            guard !healthy.isEmpty else { continue }
            for table in managed.sorted() where !foreign.contains(where: { $0.table == table && $0.cidr == cidr }) {
                let target = observed[table][cidr]
                if !(target.map(healthy.contains) ?? false) {
                    problems.append("\(Self.pool[cidr]) in table \(DaemonModelStep.tableNames[table]) -> \(target ?? "none"), not one of \(healthy.sorted())")
                }
            }
        }
        // What vpcrouter wrote goes for a CIDR that left the spec (or lists no router). While the
        // CIDR is routed, what it wrote in a table it does not manage now stays on an eligible
        // router (never left behind on a dead one). Only someone else's routes (and adopted ones)
        // may be anything.
        for cidr in Self.pool.indices {
            let routed = !(spec[cidr]?.isEmpty ?? true)
            let healthy = Set((spec[cidr] ?? []).filter(eligible).flatMap { routerENIs[$0] })
            for table in tableIds.indices where !routed || !managed.contains(table) {
                guard let target = observed[table][cidr] else { continue }
                let route = ForeignRoute(table: table, cidr: cidr, target: target)
                if foreign.contains(route) || adopted.contains(route) { continue }
                if !routed {
                    problems.append("\(Self.pool[cidr]) is not routed by the spec but table \(DaemonModelStep.tableNames[table]) still routes it -> \(target)")
                } else if !healthy.isEmpty && !healthy.contains(target) {
                    problems.append("table \(DaemonModelStep.tableNames[table]) (not managed) routes \(Self.pool[cidr]) -> \(target), not one of \(healthy.sorted())")
                }
            }
        }
        return problems
    }

    /// Polls moto until every invariant holds (nil) or the deadline passes (what still fails).
    /// A changed foreign route fails at once: it cannot come back.
    func settle(timeout: Duration = .seconds(60)) async throws -> DaemonModelFailure? {
        let deadline = ContinuousClock.now + timeout
        var problems: [String] = []
        while true {
            let observed = try await observe()
            let broken = brokenForeignRoutes(observed)
            if !broken.isEmpty { return DaemonModelFailure(.foreignRouteChanged, broken.joined(separator: "\n")) }
            problems = unsettled(observed)
            if problems.isEmpty {
                // Adopted routes that someone else's tooling or vpcrouter removed are nobody's now.
                adopted.removeAll { observed[$0.table][$0.cidr] != $0.target }
                return nil
            }
            if ContinuousClock.now >= deadline {
                return DaemonModelFailure(.notSettled, "not settled within \(timeout):\n" + problems.joined(separator: "\n"))
            }
            try await Task.sleep(for: .milliseconds(150))
        }
    }

    /// Stops the daemon cleanly and checks that `body` leaves the state directory as it was.
    func withDaemonStopped(_ newSpec: DaemonModelStep.Spec, _ what: String, _ body: () async throws -> String) async throws -> DaemonModelFailure? {
        let status = await daemon?.stopped() ?? 0
        daemon = nil
        // A daemon still starting may die of the signal before its handler is installed: a stop too.
        guard status == 0 || status == SIGTERM else { return DaemonModelFailure(.daemonExit, "the daemon exited with \(status) on SIGTERM") }
        try writeSpec(newSpec)
        let before = try StateDirectorySnapshot.take(state)
        let output = try await body()
        let after = try StateDirectorySnapshot.take(state)
        try startDaemon()
        if after != before {
            return DaemonModelFailure(.stateDirectoryChanged,
                "\(what) changed the state directory\nbefore:\n\(before?.description ?? "absent")\nafter:\n\(after?.description ?? "absent")\n\(output)")
        }
        return nil
    }

    /// The association of `subnet` made explicitly, if it has one.
    func explicitAssociation(_ subnet: Int) async throws -> String? {
        let tables = try await ec2.describeRouteTables(vpcId: fixture.vpcId)
        return tables.flatMap(\.associations).first { $0.subnetId == subnetIds[subnet] }?.associationId
    }

    /// Runs one step; returns a broken invariant or nil.
    func perform(_ step: DaemonModelStep) async throws -> DaemonModelFailure? {
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
                var parameters = [("RouteTableId", tableIds[table]), ("DestinationCidrBlock", Self.pool[cidr].description)]
                switch target {
                case 2: parameters.append(("GatewayId", route.target))
                case 3: parameters.append(("NatGatewayId", route.target))
                default: parameters.append(("NetworkInterfaceId", route.target))
                }
                // Straight to moto, which overwrites an existing route: read again just before.
                guard try await observe()[table][cidr] == nil else { return nil }
                _ = try await ec2.call("CreateRoute", parameters)
                foreign.append(route)
            } catch let error as EC2Error where error.code == .routeAlreadyExists {
                // The daemon created it since the read (a recheck pass): the slot was not free after
                // all. Unless it is our gateway or NAT route, which the daemon never writes: moto
                // refuses a second CreateRoute for a gateway, so a retry of ours whose first answer
                // was lost (a busy machine) lands here after the route was made.
                if !route.target.hasPrefix("eni-"), try await observe()[table][cidr] == route.target { foreign.append(route) }
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
        case .associate(let subnet, let table):
            guard association[subnet] != table else { return nil }
            let current = try await explicitAssociation(subnet)
            if table == Self.mainTable {
                if let current { _ = try await ec2.call("DisassociateRouteTable", [("AssociationId", current)]) }
            } else if let current {
                _ = try await ec2.call("ReplaceRouteTableAssociation", [("AssociationId", current), ("RouteTableId", tableIds[table])])
            } else {
                _ = try await ec2.call("AssociateRouteTable", [("RouteTableId", tableIds[table]), ("SubnetId", subnetIds[subnet])])
            }
            association[subnet] = table
        case .eni(let change):
            switch change {
            case .detach:
                guard let attachment = attachmentE else { return nil }
                _ = try await ec2.call("DetachNetworkInterface", [("AttachmentId", attachment)])
                attachmentE = nil
            case .attach:
                guard attachmentE == nil else { return nil }
                let eni: String
                if let existing = eniE { eni = existing } else { eni = try await SubnetC.createENI(ec2, subnet: subnetC.subnet) }
                eniE = eni
                attachmentE = try await SubnetC.attach(ec2, eni: eni, instance: subnetC.instance)
            case .delete:
                guard let eni = eniE else { return nil }
                if let attachment = attachmentE { _ = try await ec2.call("DetachNetworkInterface", [("AttachmentId", attachment)]) }
                attachmentE = nil
                _ = try await ec2.call("DeleteNetworkInterface", [("NetworkInterfaceId", eni)])
                eniE = nil
            }
        case .power(let router):
            if running.contains(router) {
                _ = try await ec2.call("StopInstances", [("InstanceId.1", instances[router])])
                running.remove(router)
            } else {
                _ = try await ec2.call("StartInstances", [("InstanceId.1", instances[router])])
                running.insert(router)
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
            try await proxy.configure(Self.normalProxy.merging(["error503": 0.3, "truncated": 0.3]) { $1 })
            try await Task.sleep(for: .seconds(1))
            try writeSpec(newSpec)
            try await Task.sleep(for: .seconds(1))
            try await proxy.configure(Self.normalProxy)
        case .restart(let newSpec):
            _ = await daemon?.stopped(signal: SIGKILL)
            daemon = nil
            try writeSpec(newSpec)
            try startDaemon()
        }
        updateOwnership()
        if let problem = try await settle() { return problem }
        let written = try await foreignRoutesWritten()
        return written.isEmpty ? nil : DaemonModelFailure(.foreignRouteChanged, written.joined(separator: "\n"))
    }

    /// What the model holds, for a report.
    var modelState: String {
        "foreign routes: \(foreign); adopted: \(adopted); routers alive: \(alive.sorted().map { DaemonModelStep.routerNames[$0] }); "
            + "running: \(running.sorted().map { DaemonModelStep.routerNames[$0] }); subnets a, b, c use tables "
            + association.map { DaemonModelStep.tableNames[$0] }.joined(separator: ", ")
            + "; router E's ENI: \(eniE.map { "\($0), \(attachmentE == nil ? "detached" : "attached")" } ?? "deleted")"
    }

    /// Runs the steps (numbered as in the seed's list); the first broken invariant, or nil.
    /// `summary`: print what ran when nothing broke (not for the shrinker's replays).
    func run(_ steps: [(number: Int, step: DaemonModelStep)], seed: UInt64, summary: Bool = true) async throws -> DaemonModelFailure? {
        try writeSpec(spec)
        try startDaemon()
        let started = ContinuousClock.now
        var failure = try await settle()
        var ran = 0
        for (_, step) in steps where failure == nil {
            ran += 1
            do {
                failure = try await perform(step)
            } catch {
                failure = DaemonModelFailure(.stepFailed, "\(error)")
            }
        }
        if var failure {
            failure.stepsRun = ran
            failure.step = ran == 0 ? "" : "step \(steps[ran - 1].number): \(steps[ran - 1].step)"
            failure.model = modelState
            failure.log = (daemon?.output ?? "").split(separator: "\n").suffix(60).joined(separator: "\n")
            return failure
        }
        guard summary else { return nil }
        let elapsed = ContinuousClock.now - started
        var kinds: [String: Int] = [:]
        for (_, step) in steps { kinds[step.kind, default: 0] += 1 }
        print("ownership model on the daemon: seed \(seed), \(steps.count) steps in \(elapsed), no invariant broken; "
              + "steps by kind \(kinds.sorted { $0.key < $1.key }); \(writesChecked) route writes checked; \(modelState)")
        return nil
    }
}
