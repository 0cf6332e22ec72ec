import RouteModel
import Testing
@testable import Reconciler

/// Ownership per route: what vpcrouter wrote is cleaned up wherever it is, and nothing else is
/// ever deleted once its CIDR leaves the spec.
@Suite struct OwnershipTests {
    let x = "10.61.0.0/16", y = "10.62.0.0/16"

    /// Applies every write of each plan and carries the ledger, as the daemon does.
    struct Run {
        var vpc: ObservedVPC
        var ledger = OwnershipLedger()

        mutating func pass(_ spec: [String: [IPAddress]], health: HealthSnapshot = Fixture.health(),
                           interfaces: [ObservedNetworkInterface]? = nil) -> RoutePlan {
            var observed = vpc
            if let interfaces { observed.networkInterfaces = interfaces }
            let result = plan(spec: RouteSpec(Dictionary(uniqueKeysWithValues: spec.map { (cidr($0), $1) })), health: health,
                              observed: observed, ledger: ledger, policy: ReconcilePolicy())
            vpc = applying(result, to: vpc)
            ledger = result.nextLedgerIfAllSucceed
            return result
        }
    }

    /// The example: {X: [r1], Y: [r2]} writes both CIDRs to both routers' tables; retiring
    /// r1 with {Y: [r2]} must delete X from r1's table too, which is no longer managed.
    @Test func anOwnedRouteIsDeletedInATableNoLongerManaged() {
        var run = Run(vpc: Fixture.vpc())
        let first = run.pass([x: [Fixture.r1], y: [Fixture.r2]])
        #expect(first.writes.map(line) == ["create rtb-a \(x) >eni-1", "create rtb-b \(x) >eni-1",
                                           "create rtb-a \(y) >eni-2", "create rtb-b \(y) >eni-2"])
        let second = run.pass([y: [Fixture.r2]])
        #expect(second.managedTableIds == ["rtb-b"])
        #expect(second.writes.map(line) == ["delete rtb-a \(x) eni-1", "delete rtb-b \(x) eni-1"])
        // Y stays in r1's table, kept on its router while Y is in the spec.
        #expect(lines(second).contains("keep rtb-a \(y) eni-2"))
        let third = run.pass([y: [Fixture.r2]])
        #expect(third.writes.isEmpty)
        #expect(run.ledger.sortedRoutes.map(\.description) == ["\(y) in rtb-a -> eni-2", "\(y) in rtb-b -> eni-2"])
        // Y leaves the spec too: deleted in both tables although neither is managed any more.
        let last = run.pass([cidr("10.99.0.0/16").description: [Fixture.r2]])
        #expect(last.writes.map(line).filter { $0.hasPrefix("delete") } == ["delete rtb-a \(y) eni-2", "delete rtb-b \(y) eni-2"])
    }

    /// A subnet's only router missing from one read: its table is not managed for that pass, and
    /// the route vpcrouter wrote there is kept on the CIDR's router rather than left on a dead one.
    @Test func anOwnedRouteInATableManagedNoMoreIsKeptOnTheChosenRouter() {
        var run = Run(vpc: Fixture.vpc())
        _ = run.pass([x: [Fixture.r1, Fixture.r2]], health: Fixture.health([Fixture.r2: .failed]))
        let withoutR1 = Fixture.defaultInterfaces.filter { $0.id != "eni-1" }
        let second = run.pass([x: [Fixture.r1, Fixture.r2]], interfaces: withoutR1)
        #expect(second.managedTableIds == ["rtb-b"])
        #expect(second.writes.map(line) == ["replace rtb-b \(x) eni-1>eni-2 !", "replace rtb-a \(x) eni-1>eni-2"])
        #expect(second.writes.last?.reason == "written by vpcrouter in a route table it does not manage now; kept on the CIDR's router")
    }

    /// Someone repoints a route vpcrouter wrote to their own appliance, and a same-CIDR route was in
    /// another table before vpcrouter: once the CIDR leaves the spec, neither is deleted; the first
    /// is reported as someone else's.
    @Test func onlyARouteThatStillPointsWhereItWasWrittenIsDeleted() {
        var run = Run(vpc: Fixture.vpc(routes: ["rtb-main": [Fixture.toENI(x, "eni-9")]]))
        _ = run.pass([x: [Fixture.r1]])
        #expect(run.ledger.sortedRoutes.map(\.description) == ["\(x) in rtb-a -> eni-1"])
        // By hand: rtb-a's route now goes to the NAT box.
        let index = run.vpc.routeTables.firstIndex { $0.id == "rtb-a" }!
        run.vpc.routeTables[index].routes.removeAll { $0.destination == cidr(x) }
        run.vpc.routeTables[index].routes.append(Fixture.toENI(x, "eni-9"))
        let removed = run.pass([y: [Fixture.r1]])
        #expect(removed.writes.map(line) == ["create rtb-a \(y) >eni-1"])
        let report = removed.actions.first { $0.cidr == cidr(x) }
        #expect(report.map(line) == "ignore rtb-a \(x)")
        #expect(report?.reasonCode == .notWhereWritten)
        #expect(report?.reason == "the route now targets eni-9, i-9, not what vpcrouter wrote; someone else's, left alone")
        #expect(!removed.actions.contains { $0.tableId == "rtb-main" })
    }

    /// Write-ahead: the routes a pass is about to write are in the ledger saved before the writes,
    /// so a crash between CreateRoute (or ReplaceRoute) and the save after it forgets none of them.
    @Test func aCrashBetweenTheWriteAndItsConfirmationForgetsNothing() {
        let vpc = Fixture.vpc(routes: ["rtb-a": [Fixture.toENI(x, "eni-1")]])
        let spec = RouteSpec([cidr(x): [Fixture.r1, Fixture.r2]])
        let failover = plan(spec: spec, health: Fixture.health([Fixture.r1: .failed]), observed: vpc,
                            ledger: OwnershipLedger([owned("rtb-a", x, "eni-1")]), policy: ReconcilePolicy())
        #expect(failover.writes.map(line) == ["replace rtb-a \(x) eni-1>eni-2 !", "create rtb-b \(x) >eni-2"])
        // The process dies after both writes reached EC2, before their confirmation was saved.
        let saved = failover.ledgerWithIntents
        #expect(saved.sortedRoutes.map(\.description) == ["\(x) in rtb-a -> eni-1", "\(x) in rtb-a -> eni-2", "\(x) in rtb-b -> eni-2"])
        let after = applying(failover, to: vpc)
        let restarted = plan(spec: RouteSpec([cidr(y): [Fixture.r2]]), health: Fixture.health(), observed: after,
                             ledger: saved, policy: ReconcilePolicy())
        #expect(restarted.writes.map(line).filter { $0.hasPrefix("delete") } == ["delete rtb-a \(x) eni-2", "delete rtb-b \(x) eni-2"])
        #expect(restarted.nextLedgerIfAllSucceed.sortedRoutes.allSatisfy { $0.cidr == cidr(y) })
    }

    /// A static route and a propagated one for the same destination in one table: the static one is
    /// vpcrouter's to repair, the propagated one is never written.
    @Test func aStaticAndAPropagatedRouteForOneDestinationAreBothHandled() {
        let propagated = ObservedRoute(destination: cidr(x), target: .other(id: "vgw-1"), origin: .enableVgwRoutePropagation)
        let vpc = Fixture.vpc(routes: ["rtb-a": [propagated, Fixture.toENI(x, "eni-9")]])
        let result = plan(spec: RouteSpec([cidr(x): [Fixture.r1]]), health: Fixture.health(), observed: vpc,
                          ledger: OwnershipLedger(), policy: ReconcilePolicy())
        #expect(result.writes.map(line) == ["replace rtb-a \(x) eni-9>eni-1"])
    }

    /// Routes another process wrote (a previous leader, a run whose state directory was lost) for a
    /// spec CIDR, on its chosen router in a managed table, are recorded, so they are cleaned up
    /// when the CIDR leaves the spec. Anything else stays unrecorded.
    @Test func keptRoutesOnTheChosenRouterAreAdopted() {
        let vpc = Fixture.vpc(routes: ["rtb-a": [Fixture.toENI(x, "eni-1")], "rtb-b": [Fixture.toENI(x, "eni-1")],
                                       "rtb-d": [Fixture.toENI(x, "eni-1")], "rtb-main": [Fixture.toENI(y, "eni-9")]])
        let result = plan(spec: RouteSpec([cidr(x): [Fixture.r1, Fixture.r2]]), health: Fixture.health(), observed: vpc,
                          ledger: OwnershipLedger(), policy: ReconcilePolicy())
        #expect(result.writes.isEmpty)
        #expect(result.ledgerAdoptingKeptRoutes.sortedRoutes.map(\.description) == ["\(x) in rtb-a -> eni-1", "\(x) in rtb-b -> eni-1"])
    }

    /// Found by the model-based check (seed 233): a spec left with nothing but an empty router list
    /// manages no table, and the plan held, so a route written for a CIDR that left the spec stayed.
    @Test func routesWrittenForACIDRThatLeftTheSpecGoEvenWhenNoTableIsManaged() {
        var run = Run(vpc: Fixture.vpc())
        _ = run.pass([x: [Fixture.r1]])
        let removals = run.pass([y: []])
        #expect(!removals.isHeld)
        #expect(removals.writes.map(line) == ["delete rtb-a \(x) eni-1"])
        #expect(removals.notes.map(\.kind) == [.noManagedTables])
    }
}
