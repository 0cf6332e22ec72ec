import RouteModel

/// The part of planning that walks every managed table for every CIDR once the plan is known not
/// to hold. Kept apart from `RoutePlanner` so that the hot loop stays small and allocation-free
/// where it can be (a plan may cover hundreds of thousands of routes).
struct PlanBuilder {
    let spec: RouteSpec
    let health: HealthSnapshot
    let vpc: VPCIndex
    let ledger: OwnershipLedger
    let policy: ReconcilePolicy
    /// In id order.
    let managed: [ObservedRouteTable]
    /// `managed`'s ids and routes on their own, so the hot loop reads just the field it needs.
    private let tableIds: [String]
    private let tableRoutes: [[ObservedRoute]]

    var notes: [PlanNote] = []
    private var failovers: [RouteAction] = []
    private var writes: [RouteAction] = []
    private var others: [RouteAction] = []
    private var chosen: [IPCIDR: RouteTarget] = [:]
    private var preferences: [IPCIDR: PreferenceChoice] = [:]
    /// One shared target per (interface, router IP, instance), so actions share storage.
    private var targetCache: [TargetKey: RouteTarget] = [:]

    init(spec: RouteSpec, health: HealthSnapshot, vpc: VPCIndex, ledger: OwnershipLedger,
         policy: ReconcilePolicy, managed: [ObservedRouteTable]) {
        self.spec = spec
        self.health = health
        self.vpc = vpc
        self.ledger = ledger
        self.policy = policy
        self.managed = managed
        tableIds = managed.map(\.id)
        tableRoutes = managed.map(\.routes)
    }

    private struct TargetKey: Hashable {
        let interface: Int
        let router: IPAddress?
        let instanceId: String?
    }

    /// What a table holds for a CIDR, as far as the planner cares.
    private enum Current {
        case absent
        case foreign(RouteTarget)
        case resolved(Resolution)
    }

    private struct Resolution {
        let target: RouteTarget
        /// The interface the route reaches, if it still exists.
        let interface: Int?
        /// The listed router found on that interface.
        let router: IPAddress?
        /// Why the route must be rewritten even if its router stays, or nil.
        let problem: RouteAction.Reason?
        /// True when the route cannot carry traffic now.
        let isBroken: Bool
    }

    private struct Candidate {
        let router: IPAddress
        let interface: Int
        /// See `rank(_:)`; lower is better.
        let rank: Int
        let score: UInt64
        /// The place in the list of a CIDR whose routers are in order of preference (0 first);
        /// 0 for every router of any other CIDR.
        let position: Int

        /// Better rank first, then the earlier place in the order of preference, then the higher
        /// rendezvous score, then the lower IP.
        func beats(_ other: Candidate) -> Bool {
            if rank != other.rank { return rank < other.rank }
            if position != other.position { return position < other.position }
            if score != other.score { return score > other.score }
            return router < other.router
        }
    }

    /// The order in which routers are picked for a new route. Routers judged healthy at some time
    /// come first: healthy, then suspect (part way to `fall`), then questionable. Routers never
    /// judged healthy come after all of them: not probed yet, then suspect, then questionable.
    /// Failed routers are not candidates (nil).
    private func rank(_ router: IPAddress) -> Int? {
        let condition = health.condition(of: router)
        let base: Int
        switch condition {
        case .healthy: return 0
        case .unknown: return 3
        case .failed: return nil
        case .suspect: base = 1
        case .questionable: base = 2
        }
        return health.neverHealthy.contains(router) ? base + 3 : base
    }

    /// Whether a route on `router` stays there whatever else is available: only a failed router
    /// (or one gone or stopped, decided elsewhere) loses its routes, and a questionable one when a
    /// better-ranked router exists. A suspect or not yet probed router keeps them.
    private func holdsRoutes(_ router: IPAddress) -> Bool {
        switch health.condition(of: router) {
        case .healthy, .suspect, .unknown: true
        case .questionable, .failed: false
        }
    }

    // MARK: - Walk

    mutating func run() {
        let specCIDRs = spec.cidrs
        let specIndex = CIDRIndexTable(specCIDRs)
        // Nearly every route of a managed table is a keep; room for them all up front avoids
        // regrowing the largest array of the plan.
        others.reserveCapacity(managed.count * specCIDRs.count + 16)

        // Per table, the route index for each spec CIDR (-1: none), and the routes for other CIDRs
        // that the plan may have to delete or report.
        // Flattened CIDR-major (`index * managed.count + table`) so one CIDR's tables are adjacent.
        var slots = [Int32](repeating: -1, count: specCIDRs.count * managed.count)
        var digests = [UInt64](repeating: Self.unique, count: slots.count)
        let extra = removalCandidates(specIndex: specIndex)
        for (tableNumber, table) in managed.enumerated() {
            for (routeNumber, route) in table.routes.enumerated() {
                guard let index = specIndex.index(of: route.destination) else { continue }
                let position = index * managed.count + tableNumber
                // A CreateRoute route wins over a propagated one for the same destination.
                let held = slots[position]
                if held < 0 || (!table.routes[Int(held)].isInstanceRoute && route.isInstanceRoute) {
                    slots[position] = Int32(routeNumber)
                    // The previous table most likely sends this CIDR to the same interface.
                    digests[position] = digest(route, guess: tableNumber > 0 ? digests[position - 1] : Self.unique)
                }
            }
        }
        let extraCIDRs = extra.keys.sorted()

        // Merge both sorted CIDR lists so actions come out in CIDR order.
        var specPosition = 0
        var extraPosition = 0
        while specPosition < specCIDRs.count || extraPosition < extraCIDRs.count {
            if extraPosition >= extraCIDRs.count
                || (specPosition < specCIDRs.count && specCIDRs[specPosition] < extraCIDRs[extraPosition]) {
                planSpecCIDR(specCIDRs[specPosition], index: specPosition, slots: slots, digests: digests)
                specPosition += 1
            } else if specPosition < specCIDRs.count && specCIDRs[specPosition] == extraCIDRs[extraPosition] {
                // A spec CIDR with owned routes in tables this plan does not manage.
                let cidr = specCIDRs[specPosition]
                planSpecCIDR(cidr, index: specPosition, slots: slots, digests: digests)
                if policy.ignoreEntry(covering: cidr) == nil { planOwnedOutsideManaged(cidr, candidates: extra[cidr] ?? []) }
                specPosition += 1
                extraPosition += 1
            } else {
                let cidr = extraCIDRs[extraPosition]
                planRemoval(cidr, candidates: extra[cidr] ?? [])
                extraPosition += 1
            }
        }
    }

    /// A route the plan may delete outside the spec's managed tables.
    private struct RemovalCandidate {
        let tableId: String
        let route: ObservedRoute
        /// The interfaces vpcrouter wrote there (the route goes only if it still points at one), or
        /// nil when any instance route may go (`deleteUnownedRoutes`).
        let written: Set<String>?
        let reason: RouteAction.Reason
    }

    /// Owned routes the spec no longer covers, in any observed table: their CIDR left the spec, or
    /// their table is not managed now. With `deleteUnownedRoutes`, also every other instance route
    /// of a managed table that is not for a spec CIDR. Per CIDR, in table order.
    private func removalCandidates(specIndex: CIDRIndexTable) -> [IPCIDR: [RemovalCandidate]] {
        // Table by table: a managed table's routes for spec CIDRs are the spec's, and are skipped
        // with one lookup per route in the spec's index (no string hashing per route).
        var written: [OwnedKey: Set<String>] = [:]
        let managedIds = Set(tableIds)
        for (tableId, destinations) in ledger.tables {
            let isManaged = managedIds.contains(tableId)
            for cidr in destinations.keys where !(isManaged && specIndex.index(of: cidr) != nil) {
                written[OwnedKey(tableId: tableId, cidr: cidr)] = Set(destinations[cidr]!.all)
            }
        }
        var candidates: [IPCIDR: [RemovalCandidate]] = [:]
        if !written.isEmpty {
            let tableById = Dictionary(vpc.tables.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for (key, enis) in written {
                // A table gone from the VPC took its routes with it.
                guard let table = tableById[key.tableId] else { continue }
                let routes = table.routes.filter { $0.destination == key.cidr }
                guard let route = routes.first(where: \.isInstanceRoute) ?? routes.first else { continue }
                let reason: RouteAction.Reason
                switch spec[key.cidr] {
                case nil: reason = .removedFromSpec
                case let routers? where routers.isEmpty: reason = .removalRequested
                case _?: reason = .tableNotManaged
                }
                candidates[key.cidr, default: []].append(RemovalCandidate(tableId: key.tableId, route: route, written: enis, reason: reason))
            }
        }
        if policy.deleteUnownedRoutes {
            for table in managed {
                for route in table.routes where route.isInstanceRoute && specIndex.index(of: route.destination) == nil {
                    if candidates[route.destination]?.contains(where: { $0.tableId == table.id }) == true { continue }
                    candidates[route.destination, default: []].append(
                        RemovalCandidate(tableId: table.id, route: route, written: nil, reason: .unownedDeletionEnabled))
                }
            }
        }
        for cidr in candidates.keys { candidates[cidr]!.sort { $0.tableId < $1.tableId } }
        return candidates
    }

    private struct OwnedKey: Hashable {
        let tableId: String
        let cidr: IPCIDR
    }

    /// Hands the actions over in apply order. Moves the large array instead of copying it.
    mutating func finish() -> RoutePlan {
        var actions = others
        others = []
        actions.insert(contentsOf: failovers + writes, at: 0)
        failovers = []
        writes = []
        return RoutePlan(
            actions: actions, notes: notes, chosenTargets: chosen, preferences: preferences,
            managedTableIds: managed.map(\.id), ledger: ledger)
    }

    /// Files an action under its group: failovers, other writes, the rest.
    private mutating func emit(_ action: RouteAction) {
        if action.isFailover {
            failovers.append(action)
        } else if action.verb.writes {
            writes.append(action)
        } else {
            others.append(action)
        }
    }

    // MARK: - One spec CIDR

    private mutating func planSpecCIDR(_ cidr: IPCIDR, index: Int, slots: [Int32], digests: [UInt64]) {
        let base = index * managed.count
        let tableIds = self.tableIds
        let tableRoutes = self.tableRoutes
        if let entry = policy.ignoreEntry(covering: cidr) {
            emit(RouteAction(.ignore, tableId: nil, cidr: cidr, reason: .ignoredByPolicy(entry)))
            return
        }
        let routers = spec[cidr] ?? []
        if routers.isEmpty {
            // The spec's word: its route in every managed table goes, whoever wrote it.
            var candidates: [RemovalCandidate] = []
            for table in managed.indices where slots[base + table] >= 0 {
                candidates.append(RemovalCandidate(tableId: tableIds[table], route: tableRoutes[table][Int(slots[base + table])],
                                                   written: nil, reason: .removalRequested))
            }
            planRemoval(cidr, candidates: candidates)
            return
        }

        // Candidates: listed routers on an interface that can forward, and not failed.
        let ordered = spec.order(of: cidr) == .preference
        var candidates: [Candidate] = []
        candidates.reserveCapacity(routers.count)
        for (position, router) in routers.enumerated() {
            guard let interface = vpc.interfaceIndex(holding: router),
                  vpc.interfaces[interface].forwardingProblem == nil,
                  let routerRank = rank(router) else { continue }
            candidates.append(Candidate(router: router, interface: interface, rank: routerRank,
                                        score: ordered ? 0 : RendezvousHash.score(cidr: cidr, router: router),
                                        position: ordered ? position : 0))
        }
        var best: Candidate?
        for candidate in candidates where best.map({ candidate.beats($0) }) ?? true { best = candidate }

        // What each table holds now, as an index into `distinct` (-1: no route). Consecutive
        // tables nearly always hold the same route, so it is resolved once and shared.
        var distinct: [Current] = []
        var holding = [Int32](repeating: -1, count: managed.count)
        var previousDigest = Self.unique
        for table in managed.indices {
            let slot = Int(slots[base + table])
            guard slot >= 0 else { continue }
            let digest = digests[base + table]
            if digest != Self.unique && digest == previousDigest {
                holding[table] = Int32(distinct.count - 1)
                continue
            }
            distinct.append(resolve(tableRoutes[table][slot], routers: routers))
            holding[table] = Int32(distinct.count - 1)
            previousDigest = digest
        }
        var uses = [Int](repeating: 0, count: distinct.count)
        for held in holding where held >= 0 { uses[Int(held)] += 1 }

        // Sticky choice: a router already carrying the CIDR stays unless it failed, or it is
        // questionable and a better-ranked router exists. If tables disagree, the router carrying
        // the most tables wins so that the fewest routes move.
        // Few distinct routers carry one CIDR, so a short list beats a dictionary here.
        var keepable: [(router: IPAddress, count: Int, candidate: Candidate)] = []
        for (number, current) in distinct.enumerated() {
            guard case .resolved(let resolution) = current, !resolution.isBroken,
                  let router = resolution.router else { continue }
            if let existing = keepable.firstIndex(where: { $0.router == router }) {
                keepable[existing].count += uses[number]
                continue
            }
            guard let candidate = candidates.first(where: { $0.router == router }),
                  holdsRoutes(router) || candidate.rank <= (best?.rank ?? Int.max) else { continue }
            keepable.append((router, uses[number], candidate))
        }
        var pick: (router: IPAddress, count: Int, candidate: Candidate)?
        for entry in keepable {
            guard let current = pick else { pick = entry; continue }
            if entry.count != current.count ? entry.count > current.count : entry.candidate.beats(current.candidate) {
                pick = entry
            }
        }
        var choice = pick?.candidate ?? best
        var failingBack = false
        if ordered {
            let decision = preferenceDecision(routers: routers, candidates: candidates, kept: pick?.candidate, best: best)
            if let back = decision.failBackTo {
                choice = back
                failingBack = true
            }
            preferences[cidr] = decision.choice
        }
        var target: RouteTarget?
        if let choice {
            target = sharedTarget(interface: choice.interface, router: choice.router,
                                  instanceId: vpc.interfaces[choice.interface].attachedInstanceId)
            chosen[cidr] = target
        } else {
            notes.append(PlanNote(.noEligibleRouter, cidr: cidr, "no eligible router: " + ineligibility(routers)))
        }

        // One decision per distinct route, then one action per table that holds it. The decisions
        // are kept in parallel arrays so that the trivial parts are read without touching the
        // targets, and each target is retained exactly once, by the action that stores it.
        var decisions: [Decision] = []
        var oldTargets: [RouteTarget?] = []
        var newTargets: [RouteTarget?] = []
        decisions.reserveCapacity(distinct.count)
        oldTargets.reserveCapacity(distinct.count)
        newTargets.reserveCapacity(distinct.count)
        for current in distinct {
            switch current {
            case .absent:
                decisions.append(Decision(verb: .keep, isFailover: false, reason: .onChosenRouter, emits: false))
                oldTargets.append(nil)
                newTargets.append(nil)
            case .foreign(let old):
                decisions.append(Decision(verb: .ignore, isFailover: false, reason: .foreignTarget))
                oldTargets.append(old)
                newTargets.append(nil)
            case .resolved(let resolution):
                oldTargets.append(resolution.target)
                guard let choice, let target else {
                    decisions.append(Decision(verb: .keep, isFailover: false, reason: .noEligibleRouter))
                    newTargets.append(nil)
                    continue
                }
                newTargets.append(target)
                if resolution.problem == nil && resolution.interface == choice.interface {
                    decisions.append(Decision(verb: .keep, isFailover: false, reason: .onChosenRouter))
                    continue
                }
                let reason: RouteAction.Reason
                if let problem = resolution.problem {
                    reason = problem
                } else if failingBack {
                    reason = .failBack
                } else if let router = resolution.router, keepable.contains(where: { $0.router == router }) {
                    reason = .convergeWithOtherTables
                } else {
                    reason = .routerQuestionable
                }
                decisions.append(Decision(verb: .replace, isFailover: resolution.isBroken, reason: reason))
            }
        }
        for table in tableIds.indices {
            let held = Int(holding[table])
            if held < 0 {
                if let target {
                    emit(RouteAction(.create, tableId: tableIds[table], cidr: cidr, newTarget: target, reason: .missing))
                }
                continue
            }
            let decision = decisions[held]
            guard decision.emits else { continue }
            emit(RouteAction(decision.verb, tableId: tableIds[table], cidr: cidr, oldTarget: oldTargets[held],
                             newTarget: newTargets[held], isFailover: decision.isFailover, reason: decision.reason))
        }
    }

    /// For a CIDR whose routers are in order of preference: a route kept on a backup moves back
    /// to the first router listed before it that has been healthy for `failBackAfter` (never with
    /// fail-back off); otherwise it stays. Also the words for the status pages.
    private func preferenceDecision(routers: [IPAddress], candidates: [Candidate], kept: Candidate?,
                                    best: Candidate?) -> (choice: PreferenceChoice, failBackTo: Candidate?) {
        guard let carrier = kept ?? best else {
            return (PreferenceChoice(routers: routers, carrier: nil, reason: "no listed router can carry the route"), nil)
        }
        if carrier.position == 0 {
            return (PreferenceChoice(routers: routers, carrier: carrier.router, reason: "on the preferred router \(carrier.router)"), nil)
        }
        let backup = "backup \(carrier.router) (choice \(carrier.position + 1) of \(routers.count))"
        // Healthy routers listed before the carrier, in order of preference.
        let healthyAhead = candidates.filter { $0.position < carrier.position && health.condition(of: $0.router) == .healthy }
            .sorted { $0.position < $1.position }
        guard kept != nil, let first = healthyAhead.first else {
            // A new route (or one leaving a router that cannot keep it) goes to the best router
            // there is; or nothing listed before the carrier is healthy.
            return (PreferenceChoice(routers: routers, carrier: carrier.router,
                                     reason: "on \(backup): " + routersAheadNotChosen(routers, before: carrier.position)), nil)
        }
        let name = first.position == 0 ? "preferred router \(first.router)" : "router \(first.router)"
        guard let hold = policy.failBackAfter else {
            return (PreferenceChoice(routers: routers, carrier: carrier.router,
                                     reason: "held on \(backup): \(name) is healthy and fail-back is off"), nil)
        }
        if let back = healthyAhead.first(where: { (health.healthyDuration(of: $0.router) ?? .zero) >= hold }) {
            let healthyFor = PreferenceChoice.seconds(health.healthyDuration(of: back.router) ?? .zero)
            return (PreferenceChoice(routers: routers, carrier: back.router,
                                     reason: "fail-back from \(carrier.router) to \(back.router) (choice \(back.position + 1) of \(routers.count)): "
                                        + "healthy for \(healthyFor), fail-back after \(PreferenceChoice.seconds(hold))"), back)
        }
        // None has been healthy long enough yet: say how far the first one is, and when to look again.
        guard let healthyFor = health.healthyDuration(of: first.router) else {
            return (PreferenceChoice(routers: routers, carrier: carrier.router,
                                     reason: "held on \(backup): \(name) is healthy, for how long is not known yet"), nil)
        }
        let dueIn = healthyAhead.compactMap { health.healthyDuration(of: $0.router).map { hold - $0 } }.min()
        return (PreferenceChoice(routers: routers, carrier: carrier.router,
                                 reason: "held on \(backup): \(name) healthy for \(PreferenceChoice.seconds(healthyFor)) of \(PreferenceChoice.seconds(hold))",
                                 failBackDueIn: dueIn), nil)
    }

    /// Why the routers listed before `position` do not carry the route, for the status pages:
    /// "preferred router 10.0.1.10 is failed".
    private func routersAheadNotChosen(_ routers: [IPAddress], before position: Int) -> String {
        routers.prefix(position).enumerated().map { index, router in
            (index == 0 ? "preferred router " : "router ") + "\(router) " + conditionWords(of: router)
        }.joined(separator: ", ")
    }

    /// A router's state in words: "is failed", "is not in the VPC", "has not been probed yet".
    private func conditionWords(of router: IPAddress) -> String {
        guard let interface = vpc.interfaceIndex(holding: router) else { return "is not in the VPC" }
        let eni = vpc.interfaces[interface]
        switch eni.forwardingProblem {
        case .detached?: return "is on \(eni.id), which is not attached"
        case .instanceNotRunning(let state)?: return "is on instance \(eni.attachedInstanceId ?? "?"), which is \(state.rawValue)"
        case nil: break
        }
        let status = health.condition(of: router)
        switch status {
        case .unknown: return "has not been probed yet"
        case .healthy: return "is healthy"
        case .suspect, .questionable, .failed:
            return "is \(status.rawValue)" + (health.neverHealthy.contains(router) ? " (never judged healthy)" : "")
        }
    }

    /// The trivial part of the decision about one distinct route.
    private struct Decision {
        var verb: RouteAction.Verb
        var isFailover: Bool
        var reason: RouteAction.Reason
        var emits = true
    }

    /// Marks a route whose digest must never match another: it is resolved on its own.
    private static let unique = UInt64.max

    /// Everything the resolution of an ENI route depends on, as one number: the interface's
    /// position, the route state and whether it records an instance. Computed table by table,
    /// where the routes' strings are read in order, so that the CIDR-by-CIDR walk can tell that
    /// two tables hold the same route without reading those strings again. Anything unusual
    /// (another target kind, an unknown ENI, a moved attachment) gets `unique`.
    private func digest(_ route: ObservedRoute, guess: UInt64) -> UInt64 {
        guard route.isInstanceRoute, case .networkInterface(let id, let instance) = route.target else { return Self.unique }
        // Checking a guessed interface compares against a string already in cache; looking the id
        // up hashes it.
        let index: Int
        if guess != Self.unique, vpc.interfaces[Int(guess >> 2)].id == id {
            index = Int(guess >> 2)
        } else if let found = vpc.interfaceIndex(id: id) {
            index = found
        } else {
            return Self.unique
        }
        if let instance, instance != vpc.interfaces[index].attachedInstanceId { return Self.unique }
        return UInt64(index) << 2 | (route.state == .blackhole ? 1 : 0) | (instance == nil ? 2 : 0)
    }

    /// Interprets a route to an instance or interface for a CIDR listing `routers`.
    private mutating func resolve(_ route: ObservedRoute, routers: [IPAddress]) -> Current {
        guard route.isInstanceRoute else {
            let id: String
            switch route.target {
            case .other(let other): id = other
            case .networkInterface(let eni, _): id = eni
            case .instance(let instance): id = instance
            }
            return .foreign(RouteTarget(otherId: id))
        }
        let interface: Int?
        let recordedInstance: String?
        var problem: RouteAction.Reason?
        switch route.target {
        case .networkInterface(let eni, let instance):
            recordedInstance = instance
            interface = vpc.interfaceIndex(id: eni)
            if interface == nil {
                return .resolved(Resolution(target: RouteTarget(networkInterfaceId: eni, instanceId: instance),
                                            interface: nil, router: nil, problem: .interfaceGone, isBroken: true))
            }
        case .instance(let instance):
            recordedInstance = instance
            let attached = vpc.interfaceIndices(ofInstance: instance)
            guard !attached.isEmpty else {
                return .resolved(Resolution(target: RouteTarget(instanceId: instance),
                                            interface: nil, router: nil, problem: .instanceGone, isBroken: true))
            }
            // The instance's interface that carries a listed router, else its first one.
            interface = attached.first { listedRouter(on: $0, routers: routers) != nil } ?? attached[0]
            problem = .instanceTarget
        case .other:
            preconditionFailure("foreign routes are handled above")
        }
        let index = interface!
        let eni = vpc.interfaces[index]
        let router = listedRouter(on: index, routers: routers)
        // The old target is what the route says: an instance-only route has no interface id.
        let target: RouteTarget
        if case .instance(let instance) = route.target {
            target = RouteTarget(instanceId: instance, routerAddress: router)
        } else {
            target = sharedTarget(interface: index, router: router, instanceId: recordedInstance ?? eni.attachedInstanceId)
        }
        var isBroken = false
        switch eni.forwardingProblem {
        case .detached?: problem = .interfaceDetached; isBroken = true
        case .instanceNotRunning(let state)?: problem = .instanceNotRunning(state); isBroken = true
        case nil:
            if route.state == .blackhole {
                problem = .blackhole; isBroken = true
            } else if router == nil {
                problem = .unlistedRouter
            } else if health.condition(of: router!) == .failed {
                problem = .routerFailed; isBroken = true
            } else if problem == nil, let recordedInstance, recordedInstance != eni.attachedInstanceId {
                problem = .attachmentMoved
            }
        }
        return .resolved(Resolution(target: target, interface: index, router: router, problem: problem, isBroken: isBroken))
    }

    /// The listed router IP on an interface (primary or secondary); with several, the healthiest,
    /// then the lowest.
    private func listedRouter(on interface: Int, routers: [IPAddress]) -> IPAddress? {
        var found: (router: IPAddress, rank: Int)?
        for address in vpc.interfaces[interface].privateAddresses where routers.contains(address) {
            let addressRank = rank(address) ?? 7
            if let current = found, current.rank < addressRank || (current.rank == addressRank && current.router < address) { continue }
            found = (address, addressRank)
        }
        return found?.router
    }

    private mutating func sharedTarget(interface: Int, router: IPAddress?, instanceId: String?) -> RouteTarget {
        let key = TargetKey(interface: interface, router: router, instanceId: instanceId)
        if let target = targetCache[key] { return target }
        let target = RouteTarget(networkInterfaceId: vpc.interfaces[interface].id, instanceId: instanceId, routerAddress: router)
        targetCache[key] = target
        return target
    }

    private func ineligibility(_ routers: [IPAddress]) -> String {
        routers.map { router -> String in
            guard let interface = vpc.interfaceIndex(holding: router) else { return "\(router) (not in the VPC)" }
            let eni = vpc.interfaces[interface]
            switch eni.forwardingProblem {
            case .detached?: return "\(router) (\(eni.id) is not attached)"
            case .instanceNotRunning(let state)?: return "\(router) (instance \(eni.attachedInstanceId ?? "?") is \(state.rawValue))"
            case nil: return "\(router) (\(health.condition(of: router).rawValue))"
            }
        }.joined(separator: ", ")
    }

    // MARK: - Removals

    /// Routes vpcrouter wrote for a spec CIDR in tables this plan does not manage (their router
    /// left the spec or is missing from this read): kept on the CIDR's chosen router while the
    /// CIDR is in the spec, so they neither leak to a dead router nor flap; deleted when the spec
    /// asks for removal; left alone when they no longer point where vpcrouter wrote them.
    private mutating func planOwnedOutsideManaged(_ cidr: IPCIDR, candidates: [RemovalCandidate]) {
        if spec[cidr]?.isEmpty ?? true {
            planRemoval(cidr, candidates: candidates)
            return
        }
        for candidate in candidates {
            let route = candidate.route
            guard route.isInstanceRoute, case .networkInterface(let eni, let instance) = route.target,
                  candidate.written?.contains(eni) == true else {
                planRemoval(cidr, candidates: [candidate])
                continue
            }
            let old = RouteTarget(networkInterfaceId: eni, instanceId: instance)
            if let target = chosen[cidr], target.networkInterfaceId != eni || route.state == .blackhole {
                emit(RouteAction(.replace, tableId: candidate.tableId, cidr: cidr, oldTarget: old, newTarget: target,
                                 isFailover: route.state == .blackhole, reason: .tableNotManaged))
            } else {
                emit(RouteAction(.keep, tableId: candidate.tableId, cidr: cidr, oldTarget: old,
                                 reason: chosen[cidr] == nil ? .noEligibleRouter : .onChosenRouter))
            }
        }
    }

    /// Deletes the candidates that may go: an owned route that still points at an interface
    /// vpcrouter wrote, or (explicit removal, `deleteUnownedRoutes`) any instance route. Everything
    /// else is reported and left alone.
    private mutating func planRemoval(_ cidr: IPCIDR, candidates: [RemovalCandidate]) {
        if let entry = policy.ignoreEntry(covering: cidr) {
            if !candidates.isEmpty { emit(RouteAction(.ignore, tableId: nil, cidr: cidr, reason: .ignoredByPolicy(entry))) }
            return
        }
        for candidate in candidates {
            let route = candidate.route
            let old: RouteTarget
            var interface: String?
            switch route.target {
            case .other(let id): old = RouteTarget(otherId: id)
            case .networkInterface(let eni, let instance):
                old = RouteTarget(networkInterfaceId: eni, instanceId: instance)
                interface = eni
            case .instance(let instance): old = RouteTarget(instanceId: instance)
            }
            let deletable: Bool
            if !route.isInstanceRoute {
                deletable = false
            } else if let written = candidate.written {
                deletable = interface.map(written.contains) ?? false
            } else {
                deletable = true
            }
            if deletable {
                emit(RouteAction(.delete, tableId: candidate.tableId, cidr: cidr, oldTarget: old, reason: candidate.reason))
            } else {
                let reason: RouteAction.Reason = candidate.written != nil && route.isInstanceRoute ? .notWhereWritten : .foreignTarget
                emit(RouteAction(.ignore, tableId: candidate.tableId, cidr: cidr, oldTarget: old, reason: reason))
            }
        }
    }
}
