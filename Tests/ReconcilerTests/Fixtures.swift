import RouteModel
@testable import Reconciler

func cidr(_ text: String) -> IPCIDR { IPCIDR(text)! }
func ip(_ text: String) -> IPAddress { IPAddress(text)! }
/// A route the ledger records vpcrouter wrote: `owned("rtb-a", "10.55.0.0/16", "eni-1")`.
func owned(_ table: String, _ destination: String, _ eni: String) -> OwnedRoute {
    OwnedRoute(tableId: table, cidr: cidr(destination), networkInterfaceId: eni)
}

/// A small VPC in two AZs:
///
/// | subnet   | table (association)        | interface | instance | private IPs                      |
/// |----------|----------------------------|-----------|----------|----------------------------------|
/// | subnet-a | rtb-a (explicit)           | eni-1     | i-1      | 10.0.1.10                         |
/// | subnet-b | rtb-b (explicit)           | eni-2     | i-2      | 10.0.2.20, secondary 10.0.2.21    |
/// | subnet-c | rtb-main (implicit, main)  | eni-3     | i-3      | 10.0.3.30                         |
/// | subnet-d | rtb-d (explicit)           | eni-9     | i-9      | 10.0.4.40 (a NAT box, no router)  |
enum Fixture {
    static let r1 = ip("10.0.1.10")
    static let r2 = ip("10.0.2.21")  // secondary IP of eni-2
    static let r3 = ip("10.0.3.30")
    static let nat = ip("10.0.4.40")

    static func vpc(routes: [String: [ObservedRoute]] = [:], interfaces: [ObservedNetworkInterface]? = nil) -> ObservedVPC {
        let local = ObservedRoute(destination: cidr("10.0.0.0/16"), target: .other(id: "local"), origin: .createRouteTable)
        func table(_ id: String, main: Bool = false, subnets: [String]) -> ObservedRouteTable {
            ObservedRouteTable(id: id, isMain: main, subnetIds: subnets, routes: [local] + (routes[id] ?? []))
        }
        return ObservedVPC(
            id: "vpc-1",
            routeTables: [
                table("rtb-main", main: true, subnets: []), table("rtb-a", subnets: ["subnet-a"]),
                table("rtb-b", subnets: ["subnet-b"]), table("rtb-d", subnets: ["subnet-d"]),
            ],
            subnets: [
                ObservedSubnet(id: "subnet-a", availabilityZone: "eu-west-1a", cidr: cidr("10.0.1.0/24")),
                ObservedSubnet(id: "subnet-b", availabilityZone: "eu-west-1b", cidr: cidr("10.0.2.0/24")),
                ObservedSubnet(id: "subnet-c", availabilityZone: "eu-west-1a", cidr: cidr("10.0.3.0/24")),
                ObservedSubnet(id: "subnet-d", availabilityZone: "eu-west-1b", cidr: cidr("10.0.4.0/24")),
            ],
            networkInterfaces: interfaces ?? defaultInterfaces)
    }

    static let defaultInterfaces = [
        ObservedNetworkInterface(id: "eni-1", subnetId: "subnet-a", attachedInstanceId: "i-1", privateAddresses: [r1]),
        ObservedNetworkInterface(id: "eni-2", subnetId: "subnet-b", attachedInstanceId: "i-2", privateAddresses: [ip("10.0.2.20"), r2]),
        ObservedNetworkInterface(id: "eni-3", subnetId: "subnet-c", attachedInstanceId: "i-3", privateAddresses: [r3]),
        ObservedNetworkInterface(id: "eni-9", subnetId: "subnet-d", attachedInstanceId: "i-9", privateAddresses: [nat]),
    ]

    static let instanceOf = ["eni-1": "i-1", "eni-2": "i-2", "eni-3": "i-3", "eni-9": "i-9"]

    /// A route to an interface, recording the instance it is attached to, as EC2 reports it.
    static func toENI(_ destination: String, _ eni: String, instance: String? = nil,
                      state: ObservedRoute.State = .active) -> ObservedRoute {
        ObservedRoute(destination: cidr(destination),
                      target: .networkInterface(id: eni, instanceId: instance ?? instanceOf[eni]), state: state)
    }

    /// The same route in each of the given tables.
    static func everywhere(_ route: ObservedRoute, tables: [String] = ["rtb-main", "rtb-a", "rtb-b"]) -> [String: [ObservedRoute]] {
        Dictionary(uniqueKeysWithValues: tables.map { ($0, [route]) })
    }

    static func health(_ statuses: [IPAddress: RouterCondition] = [:], healthy: [IPAddress] = [r1, r2, r3]) -> HealthSnapshot {
        var all: [IPAddress: RouterCondition] = [:]
        for router in healthy { all[router] = .healthy }
        all.merge(statuses) { _, new in new }
        return HealthSnapshot(all, firstRoundCompleted: true)
    }
}

/// An action in one short line, so expectations read like a plan: `replace rtb-a 10.55.0.0/16 eni-1>eni-2 !`
/// (`*` for a CIDR-wide action, `!` for a failover).
func line(_ action: RouteAction) -> String {
    func show(_ target: RouteTarget?) -> String {
        guard let target else { return "-" }
        return target.networkInterfaceId ?? target.otherId ?? target.instanceId ?? "?"
    }
    var text = "\(action.verb.rawValue) \(action.tableId ?? "*") \(action.cidr)"
    switch action.verb {
    case .create: text += " >\(show(action.newTarget))"
    case .replace: text += " \(show(action.oldTarget))>\(show(action.newTarget))"
    case .delete, .keep: text += " \(show(action.oldTarget))"
    case .ignore, .hold: break
    }
    return action.isFailover ? text + " !" : text
}

func lines(_ plan: RoutePlan) -> [String] { plan.actions.map(line) }

/// What EC2 would look like after every write of `plan` succeeded.
func applying(_ plan: RoutePlan, to vpc: ObservedVPC) -> ObservedVPC {
    var result = vpc
    for action in plan.actions where action.verb.writes {
        guard let index = result.routeTables.firstIndex(where: { $0.id == action.tableId }) else { continue }
        result.routeTables[index].routes.removeAll { $0.destination == action.cidr }
        if action.verb != .delete, let target = action.newTarget, let eni = target.networkInterfaceId {
            result.routeTables[index].routes.append(ObservedRoute(
                destination: action.cidr, target: .networkInterface(id: eni, instanceId: target.instanceId)))
        }
    }
    return result
}
