import RouteModel
@testable import Reconciler

/// EC2 as far as `--prefix-lists` plans touch it, kept as an `ObservedVPC`: route and prefix-list
/// writes applied one at a time with EC2's refusals (a version that moved, a full list, a list
/// still referred to, a route that exists), and the ledger kept as the daemon keeps it.
struct PrefixListSimulator {
    struct Refused: Error, CustomStringConvertible { let description: String }

    var vpc: ObservedVPC
    var ledger = OwnershipLedger()
    var nextListNumber = 1
    /// Every write applied, in order.
    var written: [String] = []

    init(vpc: ObservedVPC) { self.vpc = vpc }

    func plan(_ spec: RouteSpec, health: HealthSnapshot, policy: ReconcilePolicy) -> RoutePlan {
        Reconciler.plan(spec: spec, health: health, observed: vpc, ledger: ledger, policy: policy)
    }

    /// One pass: plan, record intents, apply every write in order (calling `check` after each),
    /// confirm. Returns the plan.
    @discardableResult
    mutating func pass(_ spec: RouteSpec, health: HealthSnapshot, policy: ReconcilePolicy,
                       check: (ObservedVPC, String) -> Void = { _, _ in }) -> RoutePlan {
        let made = plan(spec, health: health, policy: policy)
        ledger = made.ledgerAdoptingKeptRoutes.recordingIntents(made.writes).recordingIntents(made.prefixListWrites)
        var succeeded: [(action: PrefixListAction, createdListId: String?)] = []
        for action in made.prefixListWrites {
            do {
                let created = try apply(action)
                succeeded.append((action, created))
                check(vpc, action.description)
            } catch {
                // Refused, as EC2 would: the next observation shows nothing changed.
            }
        }
        ledger = ledger.confirming(succeeded)
        var routesDone: [RouteAction] = []
        for action in made.writes {
            apply(action)
            routesDone.append(action)
            check(vpc, action.description)
        }
        ledger = ledger.confirming(routesDone)
        return made
    }

    /// Passes until one writes nothing (at most `limit`).
    mutating func converge(_ spec: RouteSpec, health: HealthSnapshot, policy: ReconcilePolicy, limit: Int = 12,
                           check: (ObservedVPC, String) -> Void = { _, _ in }) -> Int {
        for number in 1...limit {
            let made = pass(spec, health: health, policy: policy, check: check)
            if made.writes.isEmpty && made.prefixListWrites.isEmpty { return number }
        }
        return limit + 1
    }

    mutating func apply(_ action: RouteAction) {
        guard let index = vpc.routeTables.firstIndex(where: { $0.id == action.tableId }) else { return }
        written.append(action.description)
        vpc.routeTables[index].routes.removeAll { $0.destination == action.cidr }
        if action.verb != .delete, let target = action.newTarget, let eni = target.networkInterfaceId {
            vpc.routeTables[index].routes.append(ObservedRoute(
                destination: action.cidr, target: .networkInterface(id: eni, instanceId: target.instanceId)))
        }
    }

    /// Returns the id of a list it created (nil for other writes).
    mutating func apply(_ action: PrefixListAction) throws -> String? {
        written.append(action.description)
        switch action.verb {
        case .createList:
            let id = "pl-\(nextListNumber)"
            nextListNumber += 1
            vpc.prefixLists.append(ObservedPrefixList(id: id, name: action.group!.listName(vpcId: vpc.id), tags: action.group!.listTags(vpcId: vpc.id),
                                                      version: 1, maxEntries: action.maxEntries!, entries: action.addEntries))
            return id
        case .modifyEntries:
            guard let index = vpc.prefixLists.firstIndex(where: { $0.id == action.prefixListId }) else { throw Refused(description: "no list") }
            var list = vpc.prefixLists[index]
            guard list.version == action.currentVersion else { throw Refused(description: "PrefixListVersionMismatch") }
            let remaining = list.entries.filter { !action.removeEntries.contains($0) }
            let entries = Array(Set(remaining + action.addEntries)).sorted()
            guard entries.count <= list.maxEntries else { throw Refused(description: "over max entries") }
            list.entries = entries
            list.version += 1
            vpc.prefixLists[index] = list
        case .deleteList:
            guard !vpc.routeTables.contains(where: { $0.prefixListRoutes.contains { $0.prefixListId == action.prefixListId } }) else {
                throw Refused(description: "list still referred to")
            }
            vpc.prefixLists.removeAll { $0.id == action.prefixListId }
        case .createRoute, .replaceRoute, .deleteRoute:
            guard let index = vpc.routeTables.firstIndex(where: { $0.id == action.tableId }) else { throw Refused(description: "no table") }
            let exists = vpc.routeTables[index].prefixListRoutes.contains { $0.prefixListId == action.prefixListId }
            if action.verb == .createRoute && exists { throw Refused(description: "RouteAlreadyExists") }
            vpc.routeTables[index].prefixListRoutes.removeAll { $0.prefixListId == action.prefixListId }
            if action.verb != .deleteRoute, let target = action.newTarget {
                vpc.routeTables[index].prefixListRoutes.append(ObservedPrefixListRoute(
                    prefixListId: action.prefixListId!, target: .networkInterface(id: target.networkInterfaceId!, instanceId: target.instanceId)))
            }
        case .keepRoute, .wait: break
        }
        return nil
    }

    /// Whether `table` sends `cidr` somewhere: a route for it, or a route to a list holding it.
    static func carries(_ vpc: ObservedVPC, table tableId: String, cidr: IPCIDR) -> Bool {
        guard let table = vpc.routeTables.first(where: { $0.id == tableId }) else { return false }
        if table.routes.contains(where: { $0.destination == cidr }) { return true }
        return table.prefixListRoutes.contains { route in
            vpc.prefixLists.first { $0.id == route.prefixListId }?.entries.contains(cidr) == true
        }
    }

    /// Where `table` sends `cidr` (the ENI), by its own route first.
    static func interface(_ vpc: ObservedVPC, table tableId: String, cidr: IPCIDR) -> String? {
        guard let table = vpc.routeTables.first(where: { $0.id == tableId }) else { return nil }
        if let route = table.routes.first(where: { $0.destination == cidr }), case .networkInterface(let eni, _) = route.target { return eni }
        for route in table.prefixListRoutes where vpc.prefixLists.first(where: { $0.id == route.prefixListId })?.entries.contains(cidr) == true {
            return route.networkInterfaceId
        }
        return nil
    }
}
