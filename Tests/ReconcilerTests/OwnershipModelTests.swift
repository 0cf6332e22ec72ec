import Foundation
import RouteModel
import Testing
import TestSupport
@testable import Reconciler

/// A model-based check of the ownership rules on the planner: random sequences of spec changes,
/// router failures, foreign routes and crashes between the write-ahead record and the
/// confirmation, against a simulated VPC that remembers who wrote each route. After every step:
/// no write touched a route vpcrouter may not touch; after convergence, every spec CIDR with a
/// healthy router points at one in every managed table, and nothing vpcrouter wrote remains for a
/// CIDR that left the spec. A failure names the seed and the shortest failing step list.
@Suite struct OwnershipModelTests {
    static let pool = ["10.81.0.0/16", "10.82.0.0/16", "10.83.0.0/16", "10.84.0.0/16"].map(cidr)
    static let routers = [Fixture.r1, Fixture.r2, Fixture.r3]
    static let tables = ["rtb-a", "rtb-b", "rtb-d", "rtb-main"]

    enum Step: CustomStringConvertible, Sendable {
        case spec([IPCIDR: [IPAddress]])
        case health([IPAddress: RouterCondition])
        /// Someone else writes a route: to the NAT box's ENI, or to a gateway.
        case foreign(table: String, cidr: IPCIDR, gateway: Bool)
        /// A pass whose process dies after `writes` of its writes reached EC2, before the confirmation.
        case crash(writes: Int)
        case pass

        var description: String {
            switch self {
            case .spec(let routes): "spec " + routes.keys.sorted().map { "\($0)=\(routes[$0]!.map(\.description))" }.joined(separator: " ")
            case .health(let statuses): "health " + statuses.keys.sorted().map { "\($0)=\(statuses[$0]!.rawValue)" }.joined(separator: " ")
            case .foreign(let table, let cidr, let gateway): "foreign \(cidr) in \(table) -> \(gateway ? "igw-1" : "eni-9")"
            case .crash(let writes): "crash after \(writes) writes"
            case .pass: "pass"
            }
        }
    }

    static func steps(seed: UInt64, count: Int) -> [Step] {
        var random = SeededGenerator(state: seed)
        return (0..<count).map { _ in
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1:
                var routes: [IPCIDR: [IPAddress]] = [:]
                for cidr in pool where Bool.random(using: &random) {
                    routes[cidr] = routers.filter { _ in Int.random(in: 0..<3, using: &random) > 0 }
                }
                if routes.isEmpty { routes[pool[0]] = [routers[0]] }
                return .spec(routes)
            case 2:
                var statuses: [IPAddress: RouterCondition] = [:]
                for router in routers { statuses[router] = [.healthy, .healthy, .failed, .questionable].randomElement(using: &random)! }
                return .health(statuses)
            case 3:
                return .foreign(table: tables.randomElement(using: &random)!, cidr: pool.randomElement(using: &random)!,
                                gateway: Bool.random(using: &random))
            case 4:
                return .crash(writes: Int.random(in: 0..<4, using: &random))
            default:
                return .pass
            }
        }
    }

    /// Runs `steps`; returns the first broken invariant, or nil.
    static func violation(in steps: [Step]) -> String? {
        var vpc = Fixture.vpc()
        var ledger = OwnershipLedger()
        var spec: [IPCIDR: [IPAddress]] = [pool[0]: [Fixture.r1]]
        var health = Fixture.health()
        // Who wrote each route: the ENI vpcrouter wrote, or nil for someone else.
        var writtenBy: [String: String?] = [:]
        func key(_ table: String, _ cidr: IPCIDR) -> String { "\(table) \(cidr)" }

        func route(_ table: String, _ cidr: IPCIDR) -> ObservedRoute? {
            vpc.routeTables.first { $0.id == table }?.routes.first { $0.destination == cidr }
        }

        /// Plans and applies the first `limit` writes; checks each against the rules.
        func pass(limit: Int? = nil, confirm: Bool) -> String? {
            let routeSpec = RouteSpec(spec)
            let result = plan(spec: routeSpec, health: health, observed: vpc, ledger: ledger, policy: ReconcilePolicy())
            let writes = Array(result.writes.prefix(limit ?? Int.max))
            // As the daemon does: adopt the kept routes, then record the intents.
            let intended = result.ledgerAdoptingKeptRoutes.recordingIntents(result.writes)
            for action in writes {
                let table = action.tableId!
                let existing = route(table, action.cidr)
                if let existing {
                    if case .other = existing.target { return "\(action) touched a gateway route" }
                    let managedSpecRoute = spec[action.cidr] != nil && result.managedTableIds.contains(table)
                    if case .some(.none) = writtenBy[key(table, action.cidr)], !managedSpecRoute {
                        return "\(action) touched someone else's route outside the spec's managed tables"
                    }
                }
                vpc = applying(RoutePlanStub.only(action, of: result), to: vpc)
                writtenBy[key(table, action.cidr)] = action.verb == .delete ? nil : .some(action.newTarget?.networkInterfaceId)
                if action.verb == .delete { writtenBy.removeValue(forKey: key(table, action.cidr)) }
            }
            ledger = confirm ? intended.confirming(writes) : intended
            return nil
        }

        for (number, step) in steps.enumerated() {
            var problem: String?
            switch step {
            case .spec(let routes): spec = routes
            case .health(let statuses): health = Fixture.health(statuses)
            case .foreign(let table, let cidr, let gateway):
                let index = vpc.routeTables.firstIndex { $0.id == table }!
                vpc.routeTables[index].routes.removeAll { $0.destination == cidr }
                vpc.routeTables[index].routes.append(gateway
                    ? ObservedRoute(destination: cidr, target: .other(id: "igw-1"))
                    : Fixture.toENI(cidr.description, "eni-9"))
                writtenBy[key(table, cidr)] = .some(nil)
            case .crash(let writes): problem = pass(limit: writes, confirm: false)
            case .pass: problem = pass(confirm: true)
            }
            if let problem { return "step \(number) (\(step)): \(problem)" }
        }
        // Convergence with every router healthy: three clean passes, then check.
        health = Fixture.health()
        for _ in 0..<3 { if let problem = pass(confirm: true) { return "converging: \(problem)" } }
        let final = plan(spec: RouteSpec(spec), health: health, observed: vpc, ledger: ledger, policy: ReconcilePolicy())
        if !final.writes.isEmpty { return "not converged: \(final.writes)" }
        for (cidr, listed) in spec where !listed.isEmpty {
            for table in final.managedTableIds {
                guard let current = route(table, cidr) else { return "\(cidr) missing in managed \(table)" }
                guard current.isInstanceRoute, case .networkInterface(let eni, _) = current.target else { continue }
                let onRouter = Fixture.defaultInterfaces.contains { $0.id == eni && $0.privateAddresses.contains(where: listed.contains) }
                if !onRouter { return "\(cidr) in \(table) points at \(eni), not a listed router" }
            }
        }
        for (entry, writer) in writtenBy {
            guard writer != nil else { continue }
            let parts = entry.split(separator: " ")
            if spec[cidr(String(parts[1]))] == nil { return "vpcrouter's route \(entry) remains after its CIDR left the spec" }
        }
        return nil
    }

    /// The seed's steps checked, and on a failure the report with the shortest failing step list.
    static func check(seed: UInt64, count: Int) -> String? {
        let steps = Self.steps(seed: seed, count: count)
        guard let problem = Self.violation(in: steps) else { return nil }
        // Shrink: drop steps one at a time while the failure stays.
        var shortest = steps
        var changed = true
        while changed {
            changed = false
            for index in shortest.indices.reversed() {
                var candidate = shortest
                candidate.remove(at: index)
                if Self.violation(in: candidate) != nil {
                    shortest = candidate
                    changed = true
                }
            }
        }
        let listing: String = shortest.map(\.description).joined(separator: "\n")
        let outcome: String = Self.violation(in: shortest) ?? "?"
        return "seed \(seed): \(problem)\nshortest failing steps (\(shortest.count)):\n\(listing)\n=> \(outcome)"
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func theOwnershipInvariantsHold(seed: UInt64) {
        if let report = Self.check(seed: seed, count: 250) { Issue.record("\(report)") }
    }

    /// `make soak SEED=… MINUTES=…`: consecutive seeds from SEED, 1,000 steps each, for MINUTES.
    @Test func soak() {
        let environment = ProcessInfo.processInfo.environment
        guard let minutes = environment["VPCROUTER_SOAK_MINUTES"].flatMap(Double.init), minutes > 0 else { return }
        var seed = environment["VPCROUTER_SOAK_SEED"].flatMap { UInt64($0) } ?? 1
        let deadline = ContinuousClock.now + .milliseconds(Int64(minutes * 60_000))
        var checked = 0
        while ContinuousClock.now < deadline {
            if let report = Self.check(seed: seed, count: 1000) {
                Issue.record("\(report)")
                return
            }
            seed += 1
            checked += 1
        }
        print("ownership model: \(checked) seeds of 1000 steps, no invariant broken; next seed \(seed)")
    }
}

/// One action of a plan as a plan of its own, for `applying`.
enum RoutePlanStub {
    static func only(_ action: RouteAction, of plan: RoutePlan) -> RoutePlan {
        RoutePlan(actions: [action], notes: [], chosenTargets: [:], managedTableIds: plan.managedTableIds, ledger: plan.ledger)
    }
}
