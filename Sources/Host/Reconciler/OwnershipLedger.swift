import RouteModel

/// The routes vpcrouter may have written, each as table, destination and the ENI written.
///
/// While a CIDR is in the spec, its route in a managed table is vpcrouter's whatever the ledger
/// says. The ledger decides everything else: once a CIDR leaves the spec, or in a table no longer
/// managed, vpcrouter deletes a route only if it is recorded here and still points at the ENI
/// recorded. Persisted in the state directory so that a restart still knows; a write is recorded
/// before it is sent (write-ahead) and confirmed after, so a crash in between forgets nothing.
public struct OwnershipLedger: Equatable, Sendable, Codable {
    /// Per table, per destination, the interfaces written there. Indexed by table because the
    /// planner walks the ledger table by table: one string lookup per table, not one per route
    /// (a ledger of 1,000 CIDRs in 200 tables holds 200,000 routes).
    private(set) var tables: [String: [IPCIDR: WrittenInterfaces]]
    /// Routes recorded, across tables.
    public private(set) var count: Int
    /// CIDRs read from a version 1 ledger, which recorded CIDRs only. The first plan made from an
    /// observation upgrades each: a route for it that points at the ENI of a spec router becomes an
    /// owned route; anything else for it is foreign from then on.
    public private(set) var legacyCIDRs: Set<IPCIDR>
    /// Prefix lists vpcrouter created (`--prefix-lists`): list id to its group's tag.
    public private(set) var prefixLists: [String: String]
    /// Groups (by tag) whose CreateManagedPrefixList was sent but whose list id is not known yet:
    /// a list tagged for this VPC and group is adopted by the next observation that shows it.
    public private(set) var pendingPrefixListGroups: Set<String>
    /// Routes vpcrouter wrote to its prefix lists.
    public private(set) var prefixListRoutes: Set<OwnedPrefixListRoute>

    public init(_ routes: some Sequence<OwnedRoute> = [], legacyCIDRs: some Sequence<IPCIDR> = [],
                prefixLists: [String: String] = [:], pendingPrefixListGroups: Set<String> = [],
                prefixListRoutes: Set<OwnedPrefixListRoute> = []) {
        tables = [:]
        count = 0
        self.legacyCIDRs = Set(legacyCIDRs)
        self.prefixLists = prefixLists
        self.pendingPrefixListGroups = pendingPrefixListGroups
        self.prefixListRoutes = prefixListRoutes
        for route in routes { insert(route) }
    }

    public var isEmpty: Bool { count == 0 && legacyCIDRs.isEmpty && !holdsPrefixLists }

    /// Whether anything of `--prefix-lists` mode is recorded: a list, a list being created or a route to one.
    public var holdsPrefixLists: Bool {
        !prefixLists.isEmpty || !pendingPrefixListGroups.isEmpty || !prefixListRoutes.isEmpty
    }

    /// The ledger with prefix-list writes recorded as intended (saved before they are sent): a
    /// list to be created by its group, a route by its table and list.
    public func recordingIntents(_ actions: some Sequence<PrefixListAction>) -> OwnershipLedger {
        var next = self
        for action in actions {
            switch action.verb {
            case .createList:
                if let group = action.group { next.pendingPrefixListGroups.insert(group.tag) }
            case .createRoute, .replaceRoute:
                if let table = action.tableId, let list = action.prefixListId {
                    next.prefixListRoutes.insert(OwnedPrefixListRoute(tableId: table, prefixListId: list))
                }
            default: break
            }
        }
        return next
    }

    /// The ledger after prefix-list writes EC2 confirmed, each with the id of the list it created.
    public func confirming(_ succeeded: some Sequence<(action: PrefixListAction, createdListId: String?)>) -> OwnershipLedger {
        var next = self
        for (action, created) in succeeded {
            switch action.verb {
            case .createList:
                guard let group = action.group else { continue }
                if let created {
                    next.pendingPrefixListGroups.remove(group.tag)
                    next.prefixLists[created] = group.tag
                }
            case .deleteList:
                guard let list = action.prefixListId else { continue }
                next.prefixLists[list] = nil
                next.prefixListRoutes = next.prefixListRoutes.filter { $0.prefixListId != list }
            case .deleteRoute:
                if let table = action.tableId, let list = action.prefixListId {
                    next.prefixListRoutes.remove(OwnedPrefixListRoute(tableId: table, prefixListId: list))
                }
            default: break
            }
        }
        return next
    }

    /// The ledger with its prefix-list part as an observation shows it (see `PrefixListPlanner`).
    func settingPrefixLists(_ lists: [String: String], pending: Set<String>, routes: Set<OwnedPrefixListRoute>) -> OwnershipLedger {
        var next = self
        next.prefixLists = lists
        next.pendingPrefixListGroups = pending
        next.prefixListRoutes = routes
        return next
    }

    /// Every route recorded (built on each call: for tests, logs and the file, not hot paths).
    /// After a crash between the record and the write, a table and CIDR may have two entries (the
    /// old ENI and the new), and either may be in EC2.
    public var routes: Set<OwnedRoute> { Set(allRoutes) }

    public var sortedRoutes: [OwnedRoute] { allRoutes.sorted() }

    private var allRoutes: [OwnedRoute] {
        var all: [OwnedRoute] = []
        all.reserveCapacity(count)
        for (tableId, destinations) in tables {
            for (cidr, interfaces) in destinations {
                for eni in interfaces.all { all.append(OwnedRoute(tableId: tableId, cidr: cidr, networkInterfaceId: eni)) }
            }
        }
        return all
    }

    /// Every CIDR with an owned route (or a version 1 entry), in order.
    public var sortedCIDRs: [IPCIDR] {
        var cidrs = legacyCIDRs
        for destinations in tables.values { cidrs.formUnion(destinations.keys) }
        return cidrs.sorted()
    }

    public func contains(_ route: OwnedRoute) -> Bool {
        tables[route.tableId]?[route.cidr]?.contains(route.networkInterfaceId) ?? false
    }

    /// Whether any recorded route matches `predicate` (for instance: its CIDR left the spec).
    public func containsRoute(forCIDR predicate: (IPCIDR) -> Bool) -> Bool {
        tables.values.contains { $0.keys.contains(where: predicate) }
    }

    /// The ledger with `routes` added.
    public func adding(_ routes: some Sequence<OwnedRoute>) -> OwnershipLedger {
        var next = self
        for route in routes { next.insert(route) }
        return next
    }

    /// The ledger without `routes`, and with its version 1 CIDRs settled (see `legacyCIDRs`).
    func removing(_ routes: some Sequence<OwnedRoute>, clearingLegacyCIDRs: Bool) -> OwnershipLedger {
        var next = self
        for route in routes { next.remove(route) }
        if clearingLegacyCIDRs { next.legacyCIDRs = [] }
        return next
    }

    /// The ledger with `writes` recorded as intended: saved before they are sent.
    public func recordingIntents(_ writes: some Sequence<RouteAction>) -> OwnershipLedger {
        var next = self
        for action in writes {
            guard action.verb == .create || action.verb == .replace, let tableId = action.tableId,
                  let eni = action.newTarget?.networkInterfaceId else { continue }
            next.insert(OwnedRoute(tableId: tableId, cidr: action.cidr, networkInterfaceId: eni))
        }
        return next
    }

    /// The ledger after `succeeded` writes were confirmed by EC2: a route written now points at its
    /// new ENI only; a route deleted is no longer anyone's. Intents of writes that failed stay
    /// until an observation shows whether they happened. The last write to a route decides.
    public func confirming(_ succeeded: some Sequence<RouteAction>) -> OwnershipLedger {
        var next = self
        for action in succeeded where action.verb.writes {
            guard let tableId = action.tableId else { continue }
            next.removeAll(tableId: tableId, cidr: action.cidr)
            if action.verb != .delete, let eni = action.newTarget?.networkInterfaceId {
                next.insert(OwnedRoute(tableId: tableId, cidr: action.cidr, networkInterfaceId: eni))
            }
        }
        return next
    }

    private mutating func insert(_ route: OwnedRoute) {
        let inserted = tables[route.tableId, default: [:]][route.cidr, default: WrittenInterfaces()].insert(route.networkInterfaceId)
        if inserted { count += 1 }
    }

    private mutating func remove(_ route: OwnedRoute) {
        guard var interfaces = tables[route.tableId]?[route.cidr], interfaces.remove(route.networkInterfaceId) else { return }
        count -= 1
        tables[route.tableId]![route.cidr] = interfaces.isEmpty ? nil : interfaces
        if tables[route.tableId]!.isEmpty { tables[route.tableId] = nil }
    }

    private mutating func removeAll(tableId: String, cidr: IPCIDR) {
        guard let interfaces = tables[tableId]?[cidr] else { return }
        count -= interfaces.count
        tables[tableId]![cidr] = nil
        if tables[tableId]!.isEmpty { tables[tableId] = nil }
    }

    // The file: {"version": 2, "routes": [{"cidr": ..., "table": ..., "eni": ...}, ...]} in
    // `OwnedRoute` order, so the same ledger always gives the same bytes; "v1_cidrs" only while
    // version 1 entries wait for their first observation.
    // `--prefix-lists` adds "prefix_lists" ([{"id", "group"}]), "prefix_list_groups_pending" and
    // "prefix_list_routes" ([{"table", "prefix_list"}]), each only when not empty: a ledger
    // without them reads as before, in this build and in older ones.
    private enum CodingKeys: String, CodingKey {
        case version, routes, cidrs, legacyCIDRs = "v1_cidrs"
        case prefixLists = "prefix_lists", pendingPrefixListGroups = "prefix_list_groups_pending", prefixListRoutes = "prefix_list_routes"
    }
    private enum RouteKeys: String, CodingKey { case table, cidr, eni }
    private struct ListEntry: Codable { let id: String; let group: String }
    private struct ListRouteEntry: Codable {
        let table: String
        let prefixList: String
        enum CodingKeys: String, CodingKey { case table, prefixList = "prefix_list" }
    }

    public static let formatVersion = 2

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        func parse(_ text: String, key: CodingKeys) throws -> IPCIDR {
            switch IPCIDR.parse(text) {
            case .success(let cidr): return cidr
            case .failure(let error):
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: error.description)
            }
        }
        prefixLists = [:]
        pendingPrefixListGroups = []
        prefixListRoutes = []
        switch version {
        case 1:
            // Version 1 kept CIDRs only; they are upgraded against the first observation.
            tables = [:]
            count = 0
            legacyCIDRs = Set(try container.decode([String].self, forKey: .cidrs).map { try parse($0, key: .cidrs) })
        case Self.formatVersion:
            tables = [:]
            count = 0
            legacyCIDRs = []
            var list = try container.nestedUnkeyedContainer(forKey: .routes)
            while !list.isAtEnd {
                let entry = try list.nestedContainer(keyedBy: RouteKeys.self)
                let table = try entry.decode(String.self, forKey: .table)
                let eni = try entry.decode(String.self, forKey: .eni)
                guard !table.isEmpty, !eni.isEmpty else {
                    throw DecodingError.dataCorruptedError(forKey: .routes, in: container,
                                                           debugDescription: "a route with an empty table or eni")
                }
                insert(OwnedRoute(tableId: table, cidr: try parse(try entry.decode(String.self, forKey: .cidr), key: .routes),
                                  networkInterfaceId: eni))
            }
            legacyCIDRs = Set(try container.decodeIfPresent([String].self, forKey: .legacyCIDRs)?.map { try parse($0, key: .legacyCIDRs) } ?? [])
            for entry in try container.decodeIfPresent([ListEntry].self, forKey: .prefixLists) ?? [] { prefixLists[entry.id] = entry.group }
            pendingPrefixListGroups = Set(try container.decodeIfPresent([String].self, forKey: .pendingPrefixListGroups) ?? [])
            prefixListRoutes = Set((try container.decodeIfPresent([ListRouteEntry].self, forKey: .prefixListRoutes) ?? [])
                .map { OwnedPrefixListRoute(tableId: $0.table, prefixListId: $0.prefixList) })
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "unsupported ledger version \(version); this build reads versions 1 and \(Self.formatVersion)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        var list = container.nestedUnkeyedContainer(forKey: .routes)
        for route in sortedRoutes {
            var entry = list.nestedContainer(keyedBy: RouteKeys.self)
            try entry.encode(route.tableId, forKey: .table)
            try entry.encode(route.cidr.description, forKey: .cidr)
            try entry.encode(route.networkInterfaceId, forKey: .eni)
        }
        if !legacyCIDRs.isEmpty { try container.encode(legacyCIDRs.sorted().map(\.description), forKey: .legacyCIDRs) }
        if !prefixLists.isEmpty {
            try container.encode(prefixLists.sorted { $0.key < $1.key }.map { ListEntry(id: $0.key, group: $0.value) }, forKey: .prefixLists)
        }
        if !pendingPrefixListGroups.isEmpty { try container.encode(pendingPrefixListGroups.sorted(), forKey: .pendingPrefixListGroups) }
        if !prefixListRoutes.isEmpty {
            try container.encode(prefixListRoutes.sorted().map { ListRouteEntry(table: $0.tableId, prefixList: $0.prefixListId) },
                                 forKey: .prefixListRoutes)
        }
    }
}
