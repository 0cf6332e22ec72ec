import RouteModel

/// The `--prefix-lists` part of a plan, made after the per-CIDR part from the same inputs.
///
/// The rules:
/// - **Groups.** Spec IPv4 CIDRs with the same router list (and, for routers in order of preference,
///   the same order) form a group; ignored CIDRs, CIDRs without routers and IPv6 CIDRs (lists are
///   IPv4 here) belong to none and keep per-CIDR routes. Each
///   group gets one customer-managed prefix list, created by vpcrouter, tagged with the VPC and
///   the group (`PrefixListGroup.listTags`), sized with headroom, and one route to it in every
///   managed table, to the group's router. The router is chosen as for a CIDR: sticky while it
///   can carry traffic, else the best eligible one (healthy first, order of preference, then
///   rendezvous hashing of the group and router IP); one router in every table.
/// - **Ours only.** A list is vpcrouter's when the ledger records it (or a create of its group)
///   and it carries this VPC's and its group's tags; anything else is never read for entries,
///   changed or deleted. A route to one of its lists is vpcrouter's in a managed table, or when
///   the ledger records it.
/// - **Gapless.** Every write's precondition is in the observation: an entry is removed, a route
///   to a list deleted or a per-CIDR route deleted only when each table the removal touches is
///   seen carrying the CIDR some other way that this plan keeps (a per-CIDR route, or the list of
///   the CIDR's group with its route on the group's router). So a CIDR moving between groups is
///   added to its new list (and that list routed) one pass before it leaves the old one, and
///   switching the mode on or off migrates without a moment with no route. A list is deleted
///   only once no route refers to it. The plan says when it waits on its own writes
///   (`awaitsFollowUp`); the next observation then takes the next step.
/// - **Versions.** Entries change with one ModifyManagedPrefixList per list naming the version
///   observed; EC2 refuses it if the list moved, and the list is read again, never overwritten.
///   At most `entriesPerRequest` entries are added and removed per request.
/// - **Quota.** A list costs its maximum entries in every table routing to it. If the planned
///   lists and the table's other routes exceed `routeTableQuota` in any managed table, no list
///   and no route to one is created (notes name the figure) and the CIDRs keep per-CIDR routes;
///   a list that is full keeps its newest CIDRs on per-CIDR routes.
/// - **Per-CIDR routes.** In the mode, a CIDR whose list carries it in a table loses its
///   per-CIDR route there; one being added to its list gets none created meanwhile; any other
///   keeps the per-CIDR plan (so a CIDR the lists cannot carry is still routed and failed over).
struct PrefixListPlanner {
    static let entriesPerRequest = 100

    let spec: RouteSpec
    let health: HealthSnapshot
    let vpc: VPCIndex
    let observed: ObservedVPC
    let ledger: OwnershipLedger
    let policy: ReconcilePolicy
    let managedTableIds: [String]

    struct Result {
        var actions: [PrefixListAction] = []
        var routeActions: [RouteAction] = []
        var notes: [PlanNote] = []
        var ledger: OwnershipLedger
        var quota: [TableQuotaUse] = []
        var awaitsFollowUp = false
        /// CIDRs their group's list carries, on the group's router (in place of the per-CIDR choice).
        var chosenTargets: [IPCIDR: RouteTarget] = [:]
    }

    /// What the plan does for one group whose list exists.
    private struct GroupRouting {
        let group: PrefixListGroup
        let list: ObservedPrefixList
        let chosen: RouteTarget?
        /// `list.entries`, for lookups per CIDR and table.
        let entries: Set<IPCIDR>
        /// Managed tables whose route to the list points at `chosen` once this plan is applied.
        var carryingTables: Set<String> = []
        /// Managed tables where this plan creates the route to the list (carrying after the next read).
        var routingTables: Set<String> = []
    }

    func run(routeActions: [RouteAction]) -> Result {
        var result = Result(ledger: ledger)
        let tableById = Dictionary(vpc.tables.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let managedSet = Set(managedTableIds)

        // Settle the ledger's lists against the observation.
        var lists = ledger.prefixLists
        var pending = ledger.pendingPrefixListGroups
        let tagged = observed.prefixLists.filter { $0.isLive && $0.tags[PrefixListGroup.vpcTagKey] == observed.id }
            .sorted { $0.id < $1.id }
        for list in tagged where lists[list.id] == nil {
            if let tag = list.tags[PrefixListGroup.groupTagKey], pending.contains(tag) { lists[list.id] = tag }
        }
        pending.subtract(lists.values)
        let ours = tagged.filter { lists[$0.id] != nil && $0.tags[PrefixListGroup.groupTagKey] == lists[$0.id] }
        // A recorded list is forgotten once it is seen deleted or no longer tagged as this VPC's and
        // its group's. One not seen at all stays recorded: a list just made may not show in a read
        // yet, and forgetting it would leave it behind for good.
        let ourIds = Set(ours.map(\.id))
        let seen = Set(observed.prefixLists.map(\.id))
        lists = lists.filter { ourIds.contains($0.key) || !seen.contains($0.key) }

        func route(in tableId: String, to listId: String) -> ObservedPrefixListRoute? {
            tableById[tableId]?.prefixListRoutes.first { $0.prefixListId == listId }
        }
        var ownedRoutes = ledger.prefixListRoutes.filter { ourIds.contains($0.prefixListId) && route(in: $0.tableId, to: $0.prefixListId) != nil }
        for table in managedTableIds {
            for listRoute in tableById[table]?.prefixListRoutes ?? [] where ourIds.contains(listRoute.prefixListId) {
                ownedRoutes.insert(OwnedPrefixListRoute(tableId: table, prefixListId: listRoute.prefixListId))
            }
        }

        // The groups the spec asks for (none with the mode off).
        var desired: [PrefixListGroup: [IPCIDR]] = [:]
        var groupOf: [IPCIDR: PrefixListGroup] = [:]
        if policy.prefixLists {
            // Lists are IPv4 (a list holds one family): IPv6 CIDRs keep per-CIDR routes.
            for cidr in spec.cidrs where cidr.family == .v4 && policy.ignoreEntry(covering: cidr) == nil {
                guard let group = PrefixListGroup(of: cidr, in: spec) else { continue }
                desired[group, default: []].append(cidr)
                groupOf[cidr] = group
            }
        }
        let groups = desired.keys.sorted()
        var listOf: [PrefixListGroup: ObservedPrefixList] = [:]
        for group in groups { listOf[group] = ours.first { $0.tags[PrefixListGroup.groupTagKey] == group.tag } }
        let leftovers = ours.filter { list in !groups.contains { listOf[$0]?.id == list.id } }

        // Quota: every managed table, now and as planned.
        var refused = false
        for tableId in managedTableIds {
            guard let table = tableById[tableId] else { continue }
            var used = table.routes.count
            for listRoute in table.prefixListRoutes {
                used += ours.first { $0.id == listRoute.prefixListId }?.maxEntries ?? 1
            }
            var planned = table.routes.filter { !($0.isInstanceRoute && groupOf[$0.destination] != nil) }.count
            for listRoute in table.prefixListRoutes where !ourIds.contains(listRoute.prefixListId) { planned += 1 }
            for group in groups {
                planned += listOf[group]?.maxEntries ?? PrefixListGroup.maxEntries(forCount: desired[group]!.count)
            }
            if !policy.prefixLists {
                // The mode is off: vpcrouter's lists go (their CIDRs come back one route each).
                planned = table.routes.count + table.prefixListRoutes.filter { !ourIds.contains($0.prefixListId) }.count
                for list in ours where table.prefixListRoutes.contains(where: { $0.prefixListId == list.id }) {
                    planned += list.entries.filter { entry in
                        !(spec[entry]?.isEmpty ?? true) && !table.routes.contains { $0.destination == entry }
                    }.count
                }
            }
            let use = TableQuotaUse(tableId: tableId, used: used, planned: planned, quota: policy.routeTableQuota)
            result.quota.append(use)
            if policy.prefixLists && !use.fits {
                refused = true
                result.notes.append(PlanNote(.prefixListQuota,
                    "prefix lists would use \(planned) routes in \(tableId), over its quota of \(policy.routeTableQuota) "
                    + "(each list counts as its maximum entries); no prefix list or route to one is created, "
                    + "and the CIDRs keep per-CIDR routes: raise the quota (--route-table-quota) or group fewer CIDRs"))
            }
        }

        // Each group's router and routes.
        var routings: [PrefixListGroup: GroupRouting] = [:]
        var routeWrites: [PrefixListAction] = []
        var others: [PrefixListAction] = []
        for group in groups {
            guard let list = listOf[group] else { continue }
            let (chosen, notes) = chooseRouter(for: group, list: list, tables: managedTableIds.compactMap { route(in: $0, to: list.id) })
            result.notes += notes
            var routing = GroupRouting(group: group, list: list, chosen: chosen, entries: Set(list.entries))
            let tablesForList = Set(managedTableIds).union(ownedRoutes.filter { $0.prefixListId == list.id }.map(\.tableId)).sorted()
            for tableId in tablesForList {
                guard tableById[tableId] != nil else { continue }
                let existing = route(in: tableId, to: list.id)
                guard let existing else {
                    guard managedSet.contains(tableId) else { continue }
                    if let chosen, !refused {
                        routeWrites.append(PrefixListAction(.createRoute, group: group, prefixListId: list.id, tableId: tableId, newTarget: chosen,
                                                            reason: "the group's list has no route in this table"))
                        routing.routingTables.insert(tableId)
                    } else {
                        others.append(PrefixListAction(.wait, group: group, prefixListId: list.id, tableId: tableId,
                                                       reason: chosen == nil ? "no eligible router for the group" : "over the route table quota"))
                    }
                    continue
                }
                let old = target(of: existing)
                guard existing.origin == .createRoute else {
                    others.append(PrefixListAction(.wait, group: group, prefixListId: list.id, tableId: tableId, oldTarget: old,
                                                   reason: "the route to the list was not made with CreateRoute; left alone"))
                    continue
                }
                guard let chosen else {
                    others.append(PrefixListAction(.keepRoute, group: group, prefixListId: list.id, tableId: tableId, oldTarget: old,
                                                   reason: "no eligible router for the group; left as it is"))
                    continue
                }
                if existing.networkInterfaceId == chosen.networkInterfaceId && existing.state == .active {
                    others.append(PrefixListAction(.keepRoute, group: group, prefixListId: list.id, tableId: tableId, oldTarget: old,
                                                   reason: "already points at the group's router"))
                } else {
                    let broken = isBroken(existing, group: group)
                    let routerFailed = old.routerAddress.map { health.condition(of: $0) == .failed || health.condition(of: $0) == .questionable } ?? false
                    routeWrites.append(PrefixListAction(.replaceRoute, group: group, prefixListId: list.id, tableId: tableId, oldTarget: old,
                                                        newTarget: chosen, isFailover: broken != nil,
                                                        followsHealthChange: routerFailed && existing.state == .active,
                                                        reason: broken ?? "the group's router is \(chosen)"))
                }
                if managedSet.contains(tableId) { routing.carryingTables.insert(tableId) }
            }
            routings[group] = routing
        }

        /// Whether `table` carries `cidr` other than through `excluding` once this plan is applied:
        /// an active per-CIDR route, or the list of the CIDR's group routed to its router.
        func carriedElsewhere(_ cidr: IPCIDR, in tableId: String, excluding listId: String) -> Bool {
            if tableById[tableId]?.routes.contains(where: { $0.destination == cidr && $0.state == .active }) == true { return true }
            guard let group = groupOf[cidr], let routing = routings[group], routing.list.id != listId else { return false }
            return routing.carryingTables.contains(tableId) && routing.entries.contains(cidr)
        }
        /// A CIDR the spec still routes must stay carried.
        func needsCarrying(_ cidr: IPCIDR) -> Bool { !(spec[cidr]?.isEmpty ?? true) }
        func tablesRouting(to listId: String) -> [String] {
            vpc.tables.filter { $0.prefixListRoutes.contains { $0.prefixListId == listId } }.map(\.id)
        }

        // Entries: create lists, add what is missing, remove what is carried elsewhere.
        var listWrites: [PrefixListAction] = []
        var beingAdded = Set<IPCIDR>()
        // CIDRs with room in their list that wait for a later request (per-request limit).
        var deferred = Set<IPCIDR>()
        for group in groups {
            let cidrs = desired[group]!
            guard let list = listOf[group] else {
                if refused { continue }
                let first = Array(cidrs.prefix(Self.entriesPerRequest))
                listWrites.append(PrefixListAction(.createList, group: group, addEntries: first,
                                                   maxEntries: PrefixListGroup.maxEntries(forCount: cidrs.count),
                                                   reason: "no list for the group's \(cidrs.count) CIDRs yet"))
                result.awaitsFollowUp = true
                continue
            }
            let current = Set(list.entries)
            let wanted = Set(cidrs)
            let routed = tablesRouting(to: list.id)
            var remove: [IPCIDR] = []
            for cidr in list.entries where !wanted.contains(cidr) {
                if !needsCarrying(cidr) || routed.allSatisfy({ carriedElsewhere(cidr, in: $0, excluding: list.id) }) {
                    remove.append(cidr)
                } else {
                    others.append(PrefixListAction(.wait, group: group, prefixListId: list.id, removeEntries: [cidr],
                                                   reason: "\(cidr) stays until every table routing to the list carries it another way"))
                    result.awaitsFollowUp = true
                }
            }
            remove = Array(remove.prefix(Self.entriesPerRequest))
            var add = cidrs.filter { !current.contains($0) }
            let room = max(0, list.maxEntries - list.entries.count + remove.count)
            if add.count > room {
                result.notes.append(PlanNote(.prefixListFull,
                    "prefix list \(list.id) (max \(list.maxEntries) entries) is full; \(add.count - room) CIDRs of group \(group) keep per-CIDR routes"))
                add = Array(add.prefix(room))
            }
            deferred.formUnion(add.dropFirst(Self.entriesPerRequest))
            add = Array(add.prefix(Self.entriesPerRequest))
            if !add.isEmpty || !remove.isEmpty {
                listWrites.append(PrefixListAction(.modifyEntries, group: group, prefixListId: list.id, addEntries: add, removeEntries: remove,
                                                   currentVersion: list.version, reason: "keeping the list in step with the spec"))
                beingAdded.formUnion(add)
                result.awaitsFollowUp = true
            }
        }
        // Lists of groups the spec no longer has (or all, with the mode off): their routes go once
        // every table carries their CIDRs another way, the list once no route refers to it.
        for list in leftovers {
            let routed = tablesRouting(to: list.id)
            if routed.isEmpty {
                listWrites.append(PrefixListAction(.deleteList, prefixListId: list.id,
                                                   reason: policy.prefixLists ? "its group is not in the spec any more" : "prefix lists are off"))
                continue
            }
            for tableId in routed {
                let existing = route(in: tableId, to: list.id)!
                let old = target(of: existing)
                guard ownedRoutes.contains(OwnedPrefixListRoute(tableId: tableId, prefixListId: list.id)), existing.origin == .createRoute else {
                    others.append(PrefixListAction(.wait, prefixListId: list.id, tableId: tableId, oldTarget: old,
                                                   reason: "a route vpcrouter did not write refers to the list; the list stays"))
                    continue
                }
                let waiting = list.entries.filter { needsCarrying($0) && !carriedElsewhere($0, in: tableId, excluding: list.id) }
                if waiting.isEmpty {
                    routeWrites.append(PrefixListAction(.deleteRoute, prefixListId: list.id, tableId: tableId, oldTarget: old,
                                                        reason: "every CIDR of the list is carried another way"))
                    result.awaitsFollowUp = true
                } else {
                    others.append(PrefixListAction(.wait, prefixListId: list.id, tableId: tableId, oldTarget: old,
                                                   reason: "\(waiting.count) CIDRs of the list (first \(waiting[0])) are not carried another way yet"))
                    result.awaitsFollowUp = true
                }
            }
        }

        // Per-CIDR routes: gone where the list carries the CIDR, not created where it is being added.
        var transformed: [RouteAction] = []
        transformed.reserveCapacity(routeActions.count)
        for action in routeActions {
            guard policy.prefixLists, let tableId = action.tableId, managedSet.contains(tableId), let group = groupOf[action.cidr] else {
                transformed.append(action)
                continue
            }
            guard let routing = routings[group] else {
                // The group's list is created by this plan: the CIDR is carried by it after the next step.
                if action.verb == .create && !refused {
                    result.awaitsFollowUp = true
                } else {
                    transformed.append(action)
                }
                continue
            }
            let carried = routing.carryingTables.contains(tableId) && routing.entries.contains(action.cidr)
            switch action.verb {
            case .keep where carried, .replace where carried:
                guard let old = action.oldTarget, old.otherId == nil else { transformed.append(action); continue }
                transformed.append(RouteAction(.delete, tableId: tableId, cidr: action.cidr, oldTarget: old, reason: .coveredByPrefixList))
            case .create where carried:
                // Nothing to write: the list carries it. Shown as kept on the group's router.
                transformed.append(RouteAction(.keep, tableId: tableId, cidr: action.cidr, oldTarget: routing.chosen, reason: .coveredByPrefixList))
            case .create where beingAdded.contains(action.cidr) || deferred.contains(action.cidr)
                || (routing.routingTables.contains(tableId) && routing.entries.contains(action.cidr)):
                result.awaitsFollowUp = true
            default:
                transformed.append(action)
            }
        }
        result.routeActions = transformed.filter(\.isFailover) + transformed.filter { !$0.isFailover && $0.verb.writes }
            + transformed.filter { !$0.isFailover && !$0.verb.writes }

        for (group, routing) in routings {
            guard let chosen = routing.chosen else { continue }
            for cidr in desired[group] ?? [] where routing.entries.contains(cidr) { result.chosenTargets[cidr] = chosen }
        }
        result.actions = routeWrites.filter(\.isFailover) + listWrites + routeWrites.filter { !$0.isFailover } + others
        result.ledger = ledger.settingPrefixLists(lists, pending: pending, routes: ownedRoutes)
        return result
    }

    // MARK: - The group's router

    private func target(of route: ObservedPrefixListRoute) -> RouteTarget {
        switch route.target {
        case .networkInterface(let eni, let instance):
            let router = vpc.interfaceIndex(id: eni).flatMap { index in
                vpc.interfaces[index].privateAddresses.first { spec.routerAddresses.contains($0) } ?? vpc.interfaces[index].privateAddresses.first
            }
            return RouteTarget(networkInterfaceId: eni, instanceId: instance, routerAddress: router)
        case .instance(let instance): return RouteTarget(instanceId: instance)
        case .other(let id): return RouteTarget(otherId: id)
        }
    }

    /// Why the route cannot carry traffic, or nil when it can.
    private func isBroken(_ route: ObservedPrefixListRoute, group: PrefixListGroup) -> String? {
        if route.state == .blackhole { return "the route is a blackhole" }
        guard let eni = route.networkInterfaceId else { return nil }
        guard let index = vpc.interfaceIndex(id: eni) else { return "network interface \(eni) no longer exists" }
        switch vpc.interfaces[index].forwardingProblem {
        case .detached?: return "network interface \(eni) is not attached to an instance"
        case .instanceNotRunning(let state)?: return "instance \(vpc.interfaces[index].attachedInstanceId ?? "?") is \(state.rawValue)"
        case nil: break
        }
        if let router = listedRouter(on: index, group: group), health.condition(of: router) == .failed { return "router \(router) failed" }
        return nil
    }

    private func listedRouter(on interface: Int, group: PrefixListGroup) -> IPAddress? {
        vpc.interfaces[interface].privateAddresses.filter { group.routers.contains($0) }.min { (health.rank($0) ?? 7, $0) < (health.rank($1) ?? 7, $1) }
    }

    /// The group's router: the one its routes use while it can carry traffic (most tables win),
    /// else the best eligible router; nil with none.
    private func chooseRouter(for group: PrefixListGroup, list: ObservedPrefixList,
                              tables routes: [ObservedPrefixListRoute]) -> (RouteTarget?, [PlanNote]) {
        struct Candidate { let router: IPAddress; let interface: Int; let rank: Int; let position: Int; let score: UInt64 }
        var candidates: [Candidate] = []
        for (position, router) in group.routers.enumerated() {
            guard let interface = vpc.interfaceIndex(holding: router), vpc.interfaces[interface].forwardingProblem == nil,
                  let rank = health.rank(router) else { continue }
            candidates.append(Candidate(router: router, interface: interface, rank: rank, position: group.ordered ? position : 0,
                                        score: group.ordered ? 0 : Self.score(group: group, router: router)))
        }
        func beats(_ a: Candidate, _ b: Candidate) -> Bool {
            if a.rank != b.rank { return a.rank < b.rank }
            if a.position != b.position { return a.position < b.position }
            if a.score != b.score { return a.score > b.score }
            return a.router < b.router
        }
        let best = candidates.min { beats($0, $1) }
        // Sticky: the router most tables use, while it may keep routes.
        var uses: [IPAddress: Int] = [:]
        for route in routes where route.state == .active && route.origin == .createRoute && isBroken(route, group: group) == nil {
            guard let eni = route.networkInterfaceId, let index = vpc.interfaceIndex(id: eni),
                  let router = listedRouter(on: index, group: group) else { continue }
            uses[router, default: 0] += 1
        }
        let kept = uses.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.lazy.compactMap { entry -> Candidate? in
            guard let candidate = candidates.first(where: { $0.router == entry.key }) else { return nil }
            switch self.health.condition(of: entry.key) {
            case .healthy, .suspect, .unknown: return candidate
            case .questionable: return best.map { $0.rank < candidate.rank } == true ? nil : candidate
            case .failed: return nil
            }
        }.first
        guard let carrier = kept ?? best else {
            return (nil, [PlanNote(.prefixListNoRouter, "no eligible router for prefix list \(list.id) (group \(group)); its routes stay as they are")])
        }
        let eni = vpc.interfaces[carrier.interface]
        return (RouteTarget(networkInterfaceId: eni.id, instanceId: eni.attachedInstanceId, routerAddress: carrier.router), [])
    }

    /// Rendezvous score of a group and a router: fixed, so the choice survives restarts.
    static func score(group: PrefixListGroup, router: IPAddress) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in group.key.utf8 { hash ^= UInt64(byte); hash &*= 0x0000_0100_0000_01b3 }
        for byte in router.bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return hash
    }
}

extension HealthSnapshot {
    /// The order in which routers are picked for a new route (lower first), as the per-CIDR
    /// planner ranks them; nil for a failed router.
    func rank(_ router: IPAddress) -> Int? {
        let base: Int
        switch condition(of: router) {
        case .healthy: return 0
        case .unknown: return 3
        case .failed: return nil
        case .suspect: base = 1
        case .questionable: base = 2
        }
        return neverHealthy.contains(router) ? base + 3 : base
    }
}
