import RouteModel

/// Works out what the VPC's route tables should look like and how to get there.
///
/// Pure and deterministic: the same inputs always give the same plan (whatever order the
/// observation lists things in), with no I/O, clock or randomness.
///
/// The rules:
/// - **Hold.** Without a spec, an observation or a completed first health round, the plan holds
///   (only `hold` actions, the ledger unchanged). It also holds, with a note, when none of the
///   spec's routers is a private IP in the VPC (a wrong VPC id must not empty route tables) and
///   when no route table is selected.
/// - **Tables.** Automatic: the tables that serve a subnet holding a spec router, explicitly or
///   through the main table's implicit association; every such table gets every spec CIDR, across
///   AZs. The policy can name tables by id or by tag instead.
/// - **Routers.** A router matches an ENI on any private IP, primary or secondary; routes target
///   the ENI. A router is eligible when its ENI is attached to an instance that is pending or
///   running (or whose state was not observed) and its health is not failed.
/// - **Choice.** Sticky: a route stays on its router unless that router is failed (or gone or
///   stopped), or questionable while a better-ranked router is usable; a suspect router (part way
///   to `fall`) or one not probed yet keeps it. There is no fail-back, except as below. Otherwise
///   the new router is the best eligible one: healthy, then suspect, then questionable among
///   routers once judged healthy, then those never judged healthy (not probed yet, suspect,
///   questionable), ties broken by the spec's order of preference where it gives one, else by
///   rendezvous hashing of (CIDR, router IP) with a fixed hash.
/// - **Fail-back.** For a CIDR whose routers are in order of preference and with
///   `failBackAfter` set, a route on a backup moves to the first router listed before it that has
///   been healthy without a break for that long (`HealthSnapshot.healthySince` up to its `time`);
///   the plan says when to look again (`nextFailBackCheck`) and why (`preferences`).
///   A CIDR gets one router in every table; tables that disagree converge on the router most of
///   them already use. With no eligible router, routes stay as they are and a note says so.
/// - **Repair.** Blackhole routes, routes to an ENI or instance that is gone, to a stopped or
///   detached router, to a router not listed for the CIDR, and to an ENI now attached to another
///   instance are replaced; a route to a router instance without an ENI id is rewritten to the
///   ENI once. Replacing a route that cannot carry traffic (failed router, blackhole, gone,
///   stopped) is a failover: those actions come first.
/// - **Ownership.** While a CIDR is in the spec, its CreateRoute instance or ENI route in each
///   managed table is vpcrouter's to create, repair and (empty router list) delete. Anything else
///   is deleted only if the ledger records it (table, CIDR, ENI written) and it still points at
///   that ENI: owned routes whose CIDR left the spec, or in a table not managed now, in any table
///   of the VPC. A recorded route that points elsewhere is reported as someone else's and left
///   alone. Routes to gateways, propagated routes and routes of unknown origin are never changed
///   or deleted. `deleteUnownedRoutes` also deletes unowned instance and ENI routes.
/// - **Ignore.** A CIDR inside an ignored CIDR is never created, changed or deleted; it gets one
///   CIDR-wide `ignore` action.
/// - Only differences are written: a route already on the chosen ENI is a `keep`.
/// - **Prefix lists.** With `policy.prefixLists`, or while vpcrouter's lists remain, the
///   `PrefixListPlanner` rules apply on top.
public func plan(
    spec: RouteSpec?, health: HealthSnapshot, observed: ObservedVPC?,
    ledger: OwnershipLedger, policy: ReconcilePolicy
) -> RoutePlan {
    RoutePlanner(spec: spec, health: health, observed: observed, ledger: ledger, policy: policy).makePlan()
}

/// The planner's working state for one plan. Internal; the free function `plan` is the API.
struct RoutePlanner {
    let spec: RouteSpec?
    let health: HealthSnapshot
    let observed: ObservedVPC?
    let ledger: OwnershipLedger
    let policy: ReconcilePolicy

    func makePlan() -> RoutePlan {
        guard let spec else {
            return held(.noSpec, cidrs: ledger.sortedCIDRs, note: "no route spec yet; nothing will change")
        }
        guard let observed else {
            return held(.noObservation, cidrs: spec.cidrs, note: "the VPC has not been observed yet; nothing will change")
        }
        guard health.firstRoundCompleted else {
            return held(.noFirstHealthRound, cidrs: spec.cidrs,
                        note: "waiting for the first health round; nothing will change")
        }
        let vpc = VPCIndex(observed)
        var notes: [PlanNote] = []

        // Spec routers that no interface in the VPC holds.
        let listedRouters = spec.routerAddresses
        let missingRouters = listedRouters.filter { vpc.interfaceIndex(holding: $0) == nil }
        if !missingRouters.isEmpty {
            var cidrsByRouter: [IPAddress: [IPCIDR]] = [:]
            let missingSet = Set(missingRouters)
            for cidr in spec.cidrs {
                for router in spec[cidr] ?? [] where missingSet.contains(router) { cidrsByRouter[router, default: []].append(cidr) }
            }
            for router in missingRouters {
                let cidrs = cidrsByRouter[router, default: []].map(\.description).joined(separator: ", ")
                notes.append(PlanNote(.routerNotInVPC,
                    "router \(router) (listed for \(cidrs)) is not a private IP of any network interface in \(observed.id)"))
            }
        }
        if !listedRouters.isEmpty && missingRouters.count == listedRouters.count {
            notes.append(PlanNote(.noRouterInVPC,
                "none of the spec's routers is in \(observed.id); changing nothing until one is (check the VPC id)"))
            return held(.noRouterInVPC, cidrs: spec.cidrs, notes: notes)
        }

        let managed = managedTables(vpc: vpc, routers: listedRouters, notes: &notes)
        let settled = settledLedger(vpc: vpc, routers: listedRouters)
        if managed.isEmpty {
            notes.append(PlanNote(.noManagedTables, noTableMessage(vpcId: observed.id, routersListed: !listedRouters.isEmpty)))
            // Routes vpcrouter wrote for CIDRs that left the spec (or have no routers now) need no
            // managed table to be cleaned up; without any, the plan holds.
            let cleanup = settled.containsRoute { spec[$0]?.isEmpty ?? true }
            if !cleanup { return held(.noManagedTables, cidrs: spec.cidrs, notes: notes) }
        }

        var builder = PlanBuilder(
            spec: spec, health: health, vpc: vpc, ledger: settled, policy: policy,
            managed: managed.map { vpc.tables[$0] })
        builder.notes = notes
        builder.run()
        let routePlan = builder.finish()
        let taggedLists = observed.prefixLists.contains { $0.tags[PrefixListGroup.vpcTagKey] == observed.id }
        guard policy.prefixLists || settled.holdsPrefixLists || taggedLists else { return routePlan }
        let prefixLists = PrefixListPlanner(
            spec: spec, health: health, vpc: vpc, observed: observed, ledger: settled, policy: policy,
            managedTableIds: routePlan.managedTableIds)
        return routePlan.with(prefixLists.run(routeActions: routePlan.actions))
    }

    /// The ledger as this observation shows it: version 1 CIDRs upgraded to the routes that point
    /// at a spec router's interface, and routes dropped whose table holds no route for their CIDR
    /// any more. Routes inside an ignored CIDR are kept as they are.
    private func settledLedger(vpc: VPCIndex, routers: [IPAddress]) -> OwnershipLedger {
        // A route is kept while its table holds a route for the CIDR, even one that points
        // elsewhere now (reported as someone else's for as long as it stays), and always inside
        // an ignored CIDR. Nearly always nothing goes, so only what goes is collected; the ledger
        // is walked table by table, so each table is looked up once.
        var dropped: [OwnedRoute] = []
        if !ledger.isEmpty {
            let tableById = Dictionary(vpc.tables.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for (tableId, written) in ledger.tables {
                let destinations = CIDRIndexTable(tableById[tableId]?.routes.map(\.destination) ?? [])
                for cidr in written.keys where destinations.index(of: cidr) == nil && policy.ignoreEntry(covering: cidr) == nil {
                    for eni in written[cidr]!.all { dropped.append(OwnedRoute(tableId: tableId, cidr: cidr, networkInterfaceId: eni)) }
                }
            }
        }
        if dropped.isEmpty && ledger.legacyCIDRs.isEmpty { return ledger }
        var upgraded: [OwnedRoute] = []
        if !ledger.legacyCIDRs.isEmpty {
            var routerInterfaces = Set<String>()
            for router in routers {
                if let index = vpc.interfaceIndex(holding: router) { routerInterfaces.insert(vpc.interfaces[index].id) }
            }
            for table in vpc.tables {
                for route in table.routes where ledger.legacyCIDRs.contains(route.destination) && route.isInstanceRoute {
                    guard case .networkInterface(let eni, _) = route.target, routerInterfaces.contains(eni) else { continue }
                    upgraded.append(OwnedRoute(tableId: table.id, cidr: route.destination, networkInterfaceId: eni))
                }
            }
        }
        return ledger.removing(dropped, clearingLegacyCIDRs: true).adding(upgraded)
    }

    private func noTableMessage(vpcId: String, routersListed: Bool) -> String {
        switch policy.tableSelection {
        case .automatic where !routersListed:
            return "the spec lists no routers, so vpcrouter cannot tell which route tables to manage; "
                + "name the tables in the table selection to remove these routes"
        case .automatic:
            return "no route table in \(vpcId) serves a subnet that holds a spec router; changing nothing"
        case .tableIds:
            return "none of the named route tables is in \(vpcId); changing nothing"
        case .tag(let key, let value):
            return "no route table in \(vpcId) is tagged \(key)=\(value); changing nothing"
        }
    }

    /// Indices into `vpc.tables` (so in id order) of the tables this plan manages.
    private func managedTables(vpc: VPCIndex, routers: [IPAddress], notes: inout [PlanNote]) -> [Int] {
        var chosen = Set<Int>()
        switch policy.tableSelection {
        case .automatic:
            var subnetsWithoutTable = Set<String>()
            for router in routers {
                guard let interface = vpc.interfaceIndex(holding: router) else { continue }
                let subnet = vpc.interfaces[interface].subnetId
                if let table = vpc.tableIndex(forSubnet: subnet) {
                    chosen.insert(table)
                } else {
                    subnetsWithoutTable.insert(subnet)
                }
            }
            for subnet in subnetsWithoutTable.sorted() {
                notes.append(PlanNote(.subnetWithoutTable,
                    "subnet \(subnet) holds a spec router but no route table serves it (no association and no main table observed)"))
            }
        case .tableIds(let ids):
            let known = Dictionary(vpc.tables.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
            for id in ids.sorted() {
                if let index = known[id] { chosen.insert(index) } else {
                    notes.append(PlanNote(.tableNotFound, "route table \(id) is not in the VPC"))
                }
            }
        case .tag(let key, let value):
            for (index, table) in vpc.tables.enumerated() where table.tags[key] == value { chosen.insert(index) }
        }
        return chosen.sorted()
    }

    private func held(_ reason: RouteAction.Reason, cidrs: [IPCIDR], note: String) -> RoutePlan {
        held(reason, cidrs: cidrs, notes: [PlanNote(.held, note)])
    }

    private func held(_ reason: RouteAction.Reason, cidrs: [IPCIDR], notes: [PlanNote]) -> RoutePlan {
        let actions = cidrs.map { RouteAction(.hold, tableId: nil, cidr: $0, reason: reason) }
        return RoutePlan(held: actions, notes: notes, ledger: ledger)
    }
}
