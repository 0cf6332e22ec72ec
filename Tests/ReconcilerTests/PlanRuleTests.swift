import RouteModel
import Testing
@testable import Reconciler

/// One plan from one observation, written as the actions expected.
struct PlanScenario: Sendable, CustomTestStringConvertible {
    let name: String
    var spec: [String: [IPAddress]]
    var health = Fixture.health()
    var routes: [String: [ObservedRoute]] = [:]
    var interfaces: [ObservedNetworkInterface]? = nil
    var ledger: [OwnedRoute] = []
    var policy = ReconcilePolicy()
    let expected: [String]

    var testDescription: String { name }

    func run() -> RoutePlan {
        plan(spec: RouteSpec(Dictionary(uniqueKeysWithValues: spec.map { (cidr($0), $1) })), health: health,
             observed: Fixture.vpc(routes: routes, interfaces: interfaces),
             ledger: OwnershipLedger(ledger), policy: policy)
    }
}

let c = "10.55.0.0/16"
let r1 = Fixture.r1, r2 = Fixture.r2, r3 = Fixture.r3

let planScenarios: [PlanScenario] = [
    PlanScenario(
        name: "creates the route in every table serving a router subnet, the main table by implicit association",
        spec: [c: [r1, r2, r3]], health: Fixture.health([r2: .failed, r3: .failed]),
        expected: ["create rtb-a \(c) >eni-1", "create rtb-b \(c) >eni-1", "create rtb-main \(c) >eni-1"]),
    PlanScenario(
        name: "a route on a healthy router stays where it is (sticky)",
        spec: [c: [r1, r2, r3]], routes: Fixture.everywhere(Fixture.toENI(c, "eni-2")),
        expected: ["keep rtb-a \(c) eni-2", "keep rtb-b \(c) eni-2", "keep rtb-main \(c) eni-2"]),
    PlanScenario(
        name: "a router listed by its secondary IP is kept, not rewritten on every pass",
        spec: [c: [r2]], routes: Fixture.everywhere(Fixture.toENI(c, "eni-2"), tables: ["rtb-b"]),
        expected: ["keep rtb-b \(c) eni-2"]),
    PlanScenario(
        name: "a questionable router moves to a healthy one, without counting as a failover",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .questionable]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["replace rtb-a \(c) eni-1>eni-2", "replace rtb-b \(c) eni-1>eni-2"]),
    PlanScenario(
        name: "a questionable router stays when every alternative is questionable too",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .questionable, r2: .questionable]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["keep rtb-a \(c) eni-1", "keep rtb-b \(c) eni-1"]),
    PlanScenario(
        name: "a suspect router (part way to fall) keeps its route even while a healthy one exists",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .suspect]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["keep rtb-a \(c) eni-1", "keep rtb-b \(c) eni-1"]),
    PlanScenario(
        name: "a new route avoids a suspect router while a healthy one exists",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .suspect]),
        expected: ["create rtb-a \(c) >eni-2", "create rtb-b \(c) >eni-2"]),
    PlanScenario(
        name: "a failed router fails over to a suspect one when no healthy one is left",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .failed, r2: .suspect]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["replace rtb-a \(c) eni-1>eni-2 !", "replace rtb-b \(c) eni-1>eni-2 !"]),
    PlanScenario(
        name: "a new route goes to a router once judged healthy, even questionable, before one never judged",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .questionable], healthy: []),
        expected: ["create rtb-a \(c) >eni-1", "create rtb-b \(c) >eni-1"]),
    PlanScenario(
        name: "a route on a questionable router does not move to a router never judged healthy",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .questionable], healthy: []),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["keep rtb-a \(c) eni-1", "keep rtb-b \(c) eni-1"]),
    PlanScenario(
        name: "a failed router fails over to a suspect router once healthy before a questionable one never healthy",
        spec: [c: [r1, r2, r3]],
        health: HealthSnapshot([r1: .failed, r2: .questionable, r3: .suspect], neverHealthy: [r2]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["replace rtb-a \(c) eni-1>eni-3 !", "replace rtb-b \(c) eni-1>eni-3 !", "create rtb-main \(c) >eni-3"]),
    PlanScenario(
        name: "a failed router fails over to a healthy one",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .failed]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["replace rtb-a \(c) eni-1>eni-2 !", "replace rtb-b \(c) eni-1>eni-2 !"]),
    PlanScenario(
        name: "a failed router fails over to a questionable one when no healthy one is left",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .failed, r2: .questionable]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["replace rtb-a \(c) eni-1>eni-2 !", "replace rtb-b \(c) eni-1>eni-2 !"]),
    PlanScenario(
        name: "with every router failed the route is left as it is",
        spec: [c: [r1, r2]], health: Fixture.health([r1: .failed, r2: .failed]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["keep rtb-a \(c) eni-1", "keep rtb-b \(c) eni-1"]),
    PlanScenario(
        name: "a router not probed yet never loses a route it carries",
        spec: [c: [r1, r2]], health: Fixture.health(healthy: [r2]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["keep rtb-a \(c) eni-1", "keep rtb-b \(c) eni-1"]),
    PlanScenario(
        name: "a new route goes to a known-healthy router before one not probed yet",
        spec: [c: [r1, r2]], health: Fixture.health(healthy: [r2]),
        expected: ["create rtb-a \(c) >eni-2", "create rtb-b \(c) >eni-2"]),
    PlanScenario(
        name: "a blackhole route to a stopped router is repaired as a failover",
        spec: [c: [r1, r2]],
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1", state: .blackhole), tables: ["rtb-a", "rtb-b"]),
        interfaces: Fixture.defaultInterfaces.map { eni in
            var eni = eni
            if eni.id == "eni-1" { eni.instanceState = .stopped }
            return eni
        },
        expected: ["replace rtb-a \(c) eni-1>eni-2 !", "replace rtb-b \(c) eni-1>eni-2 !"]),
    PlanScenario(
        name: "a blackhole route is rewritten even when its router is the only choice",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1", state: .blackhole)]],
        expected: ["replace rtb-a \(c) eni-1>eni-1 !"]),
    PlanScenario(
        name: "only the blackhole copy of a route shared by several tables is rewritten",
        spec: [c: [r1, r2]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1")], "rtb-b": [Fixture.toENI(c, "eni-1", state: .blackhole)]],
        expected: ["replace rtb-b \(c) eni-1>eni-1 !", "keep rtb-a \(c) eni-1"]),
    PlanScenario(
        name: "a router whose IP moved to a new instance and interface gets the route back",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1")]],
        interfaces: [ObservedNetworkInterface(id: "eni-7", subnetId: "subnet-a", attachedInstanceId: "i-7", privateAddresses: [r1])]
            + Fixture.defaultInterfaces.filter { $0.id != "eni-1" },
        expected: ["replace rtb-a \(c) eni-1>eni-7 !"]),
    PlanScenario(
        name: "a route to an instance that is gone fails over",
        spec: [c: [r1]], routes: ["rtb-a": [ObservedRoute(destination: cidr(c), target: .instance(id: "i-gone"))]],
        expected: ["replace rtb-a \(c) i-gone>eni-1 !"]),
    PlanScenario(
        name: "a route to a detached router interface fails over",
        spec: [c: [r1, r2]], routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        interfaces: Fixture.defaultInterfaces.map { eni in
            var eni = eni
            if eni.id == "eni-1" { eni.attachedInstanceId = nil }
            return eni
        },
        expected: ["replace rtb-a \(c) eni-1>eni-2 !", "replace rtb-b \(c) eni-1>eni-2 !"]),
    PlanScenario(
        name: "a route whose interface was moved to another instance is rewritten once",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1", instance: "i-old")]],
        expected: ["replace rtb-a \(c) eni-1>eni-1"]),
    PlanScenario(
        name: "a route to a router instance without an interface id is rewritten to the interface",
        spec: [c: [r1]], routes: ["rtb-a": [ObservedRoute(destination: cidr(c), target: .instance(id: "i-1"))]],
        expected: ["replace rtb-a \(c) i-1>eni-1"]),
    PlanScenario(
        name: "a route to a router not listed for the CIDR is replaced",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-9")]],
        expected: ["replace rtb-a \(c) eni-9>eni-1"]),
    PlanScenario(
        name: "an ignored CIDR inside the spec is reported once and never created",
        spec: [c: [r1], "10.60.1.0/24": [r1]], policy: ReconcilePolicy(ignoredCIDRs: [cidr("10.60.0.0/16")]),
        expected: ["create rtb-a \(c) >eni-1", "ignore * 10.60.1.0/24"]),
    PlanScenario(
        name: "an ignored route that would otherwise be replaced is left alone",
        spec: [c: [r1]], health: Fixture.health([r1: .failed]),
        routes: ["rtb-a": [Fixture.toENI(c, "eni-1")]], policy: ReconcilePolicy(ignoredCIDRs: [cidr("10.0.0.0/8")]),
        expected: ["ignore * \(c)"]),
    PlanScenario(
        name: "the default-route entry protects the default route (a NAT instance's) and nothing else",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI("0.0.0.0/0", "eni-9")]],
        policy: ReconcilePolicy(ignoredCIDRs: [cidr("0.0.0.0/0")], deleteUnownedRoutes: true),
        expected: ["create rtb-a \(c) >eni-1", "ignore * 0.0.0.0/0"]),
    PlanScenario(
        name: "an instance route vpcrouter does not own is left alone",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1"), Fixture.toENI("10.99.0.0/16", "eni-9")]],
        expected: ["keep rtb-a \(c) eni-1"]),
    PlanScenario(
        name: "an unowned instance route is deleted only with deleteUnownedRoutes",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1"), Fixture.toENI("10.99.0.0/16", "eni-9")]],
        policy: ReconcilePolicy(deleteUnownedRoutes: true),
        expected: ["delete rtb-a 10.99.0.0/16 eni-9", "keep rtb-a \(c) eni-1"]),
    PlanScenario(
        name: "deleteUnownedRoutes still spares ignored CIDRs and gateway routes",
        spec: [c: [r1]],
        routes: ["rtb-a": [Fixture.toENI(c, "eni-1"), Fixture.toENI("10.99.0.0/16", "eni-9"),
                           ObservedRoute(destination: cidr("0.0.0.0/0"), target: .other(id: "igw-1"))]],
        policy: ReconcilePolicy(ignoredCIDRs: [cidr("10.99.0.0/16")], deleteUnownedRoutes: true),
        expected: ["keep rtb-a \(c) eni-1", "ignore * 10.99.0.0/16"]),
    PlanScenario(
        name: "a CIDR removed from the spec is deleted when the ledger owns it",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1"), Fixture.toENI("10.77.0.0/16", "eni-1")]],
        ledger: [owned("rtb-a", c, "eni-1"), owned("rtb-a", "10.77.0.0/16", "eni-1")],
        expected: ["delete rtb-a 10.77.0.0/16 eni-1", "keep rtb-a \(c) eni-1"]),
    PlanScenario(
        name: "a CIDR with an empty router list is deleted",
        spec: [c: [r1], "10.77.0.0/16": []], routes: ["rtb-a": [Fixture.toENI(c, "eni-1"), Fixture.toENI("10.77.0.0/16", "eni-9")]],
        expected: ["delete rtb-a 10.77.0.0/16 eni-9", "keep rtb-a \(c) eni-1"]),
    PlanScenario(
        name: "an owned CIDR inside an ignored CIDR is reported, not deleted",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1"), Fixture.toENI("10.77.0.0/16", "eni-1")]],
        ledger: [owned("rtb-a", "10.77.0.0/16", "eni-1")], policy: ReconcilePolicy(ignoredCIDRs: [cidr("10.77.0.0/16")]),
        expected: ["keep rtb-a \(c) eni-1", "ignore * 10.77.0.0/16"]),
    PlanScenario(
        name: "a gateway route for a spec CIDR is reported and not replaced",
        spec: [c: [r1]], routes: ["rtb-a": [ObservedRoute(destination: cidr(c), target: .other(id: "igw-1"))]],
        expected: ["ignore rtb-a \(c)"]),
    PlanScenario(
        name: "a route to an interface whose origin EC2 did not report is foreign: reported, never replaced",
        spec: [c: [r1]], routes: ["rtb-a": [ObservedRoute(destination: cidr(c), target: .networkInterface(id: "eni-9", instanceId: "i-9"),
                                                          origin: ObservedRoute.Origin(ec2Value: nil))]],
        expected: ["ignore rtb-a \(c)"]),
    PlanScenario(
        name: "a propagated route to an interface is foreign, and an owned CIDR is not deleted through it",
        spec: [c: [r1]], routes: ["rtb-a": [ObservedRoute(destination: cidr(c), target: .networkInterface(id: "eni-9", instanceId: "i-9"),
                                                          origin: .enableVgwRoutePropagation),
                                            ObservedRoute(destination: cidr("10.77.0.0/16"), target: .networkInterface(id: "eni-1", instanceId: "i-1"),
                                                          origin: ObservedRoute.Origin(ec2Value: "SomethingNew"))]],
        ledger: [owned("rtb-a", "10.77.0.0/16", "eni-1")],
        expected: ["ignore rtb-a \(c)", "ignore rtb-a 10.77.0.0/16"]),
    PlanScenario(
        name: "an owned CIDR now routed to a gateway is reported and not deleted",
        spec: [c: [r1]], routes: ["rtb-a": [Fixture.toENI(c, "eni-1"), ObservedRoute(destination: cidr("10.77.0.0/16"), target: .other(id: "pcx-1"))]],
        ledger: [owned("rtb-a", "10.77.0.0/16", "eni-1")],
        expected: ["keep rtb-a \(c) eni-1", "ignore rtb-a 10.77.0.0/16"]),
    PlanScenario(
        name: "tables that disagree converge on the router most of them use",
        spec: [c: [r1, r2, r3]],
        routes: ["rtb-a": [Fixture.toENI(c, "eni-1")], "rtb-b": [Fixture.toENI(c, "eni-2")], "rtb-main": [Fixture.toENI(c, "eni-2")]],
        expected: ["replace rtb-a \(c) eni-1>eni-2", "keep rtb-b \(c) eni-2", "keep rtb-main \(c) eni-2"]),
    PlanScenario(
        name: "failovers come before other writes, whatever their CIDR",
        spec: [c: [r1, r2], "10.50.0.0/16": [r1, r2]], health: Fixture.health([r1: .failed]),
        routes: Fixture.everywhere(Fixture.toENI(c, "eni-1"), tables: ["rtb-a", "rtb-b"]),
        expected: ["replace rtb-a \(c) eni-1>eni-2 !", "replace rtb-b \(c) eni-1>eni-2 !",
                   "create rtb-a 10.50.0.0/16 >eni-2", "create rtb-b 10.50.0.0/16 >eni-2"]),
    PlanScenario(
        name: "named route tables replace the automatic choice",
        spec: [c: [r1]], policy: ReconcilePolicy(tableSelection: .tableIds(["rtb-d", "rtb-main"])),
        expected: ["create rtb-d \(c) >eni-1", "create rtb-main \(c) >eni-1"]),
    PlanScenario(
        name: "tables without a router subnet are never managed",
        spec: [c: [r1]], routes: ["rtb-d": [Fixture.toENI(c, "eni-9")], "rtb-main": [Fixture.toENI(c, "eni-9")]],
        expected: ["create rtb-a \(c) >eni-1"]),
]

@Suite struct PlanRuleTests {
    /// Only EC2's own names map to an origin that may be written; a missing or new one fails closed.
    @Test func anUnknownOrMissingRouteOriginIsNeverWritten() {
        #expect(ObservedRoute.Origin(ec2Value: "CreateRoute") == .createRoute)
        #expect(ObservedRoute.Origin(ec2Value: "CreateRouteTable") == .createRouteTable)
        #expect(ObservedRoute.Origin(ec2Value: "EnableVgwRoutePropagation") == .enableVgwRoutePropagation)
        for text in [nil, "", "createroute", "EnableTgwRoutePropagation"] {
            #expect(ObservedRoute.Origin(ec2Value: text) == .unknown, "\(text ?? "nil")")
            let route = ObservedRoute(destination: cidr(c), target: .networkInterface(id: "eni-1", instanceId: "i-1"),
                                      origin: ObservedRoute.Origin(ec2Value: text))
            #expect(!route.isInstanceRoute)
        }
    }

    @Test(arguments: planScenarios)
    func plansTheExpectedActions(_ scenario: PlanScenario) {
        let result = scenario.run()
        #expect(lines(result) == scenario.expected)
        #expect(!result.isHeld)
    }

    @Test(arguments: planScenarios)
    func applyingThePlanLeavesNothingToWrite(_ scenario: PlanScenario) {
        // After the writes succeed, the next pass must find nothing to do: no churn.
        let before = Fixture.vpc(routes: scenario.routes, interfaces: scenario.interfaces)
        let first = scenario.run()
        let after = applying(first, to: before)
        let spec = RouteSpec(Dictionary(uniqueKeysWithValues: scenario.spec.map { (cidr($0), $1) }))
        let second = plan(spec: spec, health: scenario.health, observed: after,
                          ledger: first.nextLedgerIfAllSucceed, policy: scenario.policy)
        #expect(second.writes.map(line) == [])
    }
}
