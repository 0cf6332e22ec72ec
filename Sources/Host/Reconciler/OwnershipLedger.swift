import RouteModel

/// The routes vpcrouter may have written, each as table, destination and the ENI written.
///
/// While a CIDR is in the spec, its route in a managed table is vpcrouter's whatever the ledger
/// says. The ledger decides everything else: once a CIDR leaves the spec, or in a table no longer
/// managed, vpcrouter deletes a route only if it is recorded here and still points at the ENI
/// recorded. Persisted in the state directory so that a restart still knows; a write is recorded
/// before it is sent (write-ahead) and confirmed after, so a crash in between forgets nothing.
public struct OwnershipLedger: Equatable, Sendable, Codable {
    /// Every route written or about to be: after a crash between the record and the write, a
    /// table and CIDR may have two entries (the old ENI and the new), and either may be in EC2.
    public private(set) var routes: Set<OwnedRoute>
    /// CIDRs read from a version 1 ledger, which recorded CIDRs only. The first plan made from an
    /// observation upgrades each: a route for it that points at the ENI of a spec router becomes an
    /// owned route; anything else for it is foreign from then on.
    public private(set) var legacyCIDRs: Set<IPv4CIDR>

    public init(_ routes: some Sequence<OwnedRoute> = [], legacyCIDRs: some Sequence<IPv4CIDR> = []) {
        self.routes = Set(routes)
        self.legacyCIDRs = Set(legacyCIDRs)
    }

    public var isEmpty: Bool { routes.isEmpty && legacyCIDRs.isEmpty }

    public var sortedRoutes: [OwnedRoute] { routes.sorted() }

    /// Every CIDR with an owned route (or a version 1 entry), in order.
    public var sortedCIDRs: [IPv4CIDR] { Set(routes.map(\.cidr)).union(legacyCIDRs).sorted() }

    public func contains(_ route: OwnedRoute) -> Bool { routes.contains(route) }

    /// The ledger with `writes` recorded as intended: saved before they are sent.
    public func recordingIntents(_ writes: some Sequence<RouteAction>) -> OwnershipLedger {
        var next = self
        for action in writes {
            guard action.verb == .create || action.verb == .replace, let tableId = action.tableId,
                  let eni = action.newTarget?.networkInterfaceId else { continue }
            next.routes.insert(OwnedRoute(tableId: tableId, cidr: action.cidr, networkInterfaceId: eni))
        }
        return next
    }

    /// One route's place: a table and a destination.
    private struct Slot: Hashable {
        let tableId: String
        let cidr: IPv4CIDR
    }

    /// The ledger after `succeeded` writes were confirmed by EC2: a route written now points at its
    /// new ENI only; a route deleted is no longer anyone's. Intents of writes that failed stay
    /// until an observation shows whether they happened.
    public func confirming(_ succeeded: some Sequence<RouteAction>) -> OwnershipLedger {
        // One pass over the ledger for the whole batch (a failover can confirm hundreds of writes
        // against a ledger of many thousands): the last write to a route decides what it holds.
        var outcome: [Slot: String?] = [:]
        for action in succeeded where action.verb.writes {
            guard let tableId = action.tableId else { continue }
            outcome[Slot(tableId: tableId, cidr: action.cidr)] = .some(action.verb == .delete ? nil : action.newTarget?.networkInterfaceId)
        }
        guard !outcome.isEmpty else { return self }
        var next = self
        next.routes = routes.filter { route in
            guard let kept = outcome[Slot(tableId: route.tableId, cidr: route.cidr)] else { return true }
            return route.networkInterfaceId == kept
        }
        for (slot, kept) in outcome {
            if let kept { next.routes.insert(OwnedRoute(tableId: slot.tableId, cidr: slot.cidr, networkInterfaceId: kept)) }
        }
        return next
    }

    // The file: {"version": 2, "routes": [{"cidr": ..., "table": ..., "eni": ...}, ...]} in
    // `OwnedRoute` order, so the same ledger always gives the same bytes; "v1_cidrs" only while
    // version 1 entries wait for their first observation.
    private enum CodingKeys: String, CodingKey { case version, routes, cidrs, legacyCIDRs = "v1_cidrs" }
    private enum RouteKeys: String, CodingKey { case table, cidr, eni }

    public static let formatVersion = 2

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        func parse(_ text: String, key: CodingKeys) throws -> IPv4CIDR {
            switch IPv4CIDR.parse(text) {
            case .success(let cidr): return cidr
            case .failure(let error):
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: error.description)
            }
        }
        switch version {
        case 1:
            // Version 1 kept CIDRs only; they are upgraded against the first observation.
            routes = []
            legacyCIDRs = Set(try container.decode([String].self, forKey: .cidrs).map { try parse($0, key: .cidrs) })
        case Self.formatVersion:
            var parsed = Set<OwnedRoute>()
            var list = try container.nestedUnkeyedContainer(forKey: .routes)
            while !list.isAtEnd {
                let entry = try list.nestedContainer(keyedBy: RouteKeys.self)
                let table = try entry.decode(String.self, forKey: .table)
                let eni = try entry.decode(String.self, forKey: .eni)
                guard !table.isEmpty, !eni.isEmpty else {
                    throw DecodingError.dataCorruptedError(forKey: .routes, in: container,
                                                           debugDescription: "a route with an empty table or eni")
                }
                parsed.insert(OwnedRoute(tableId: table, cidr: try parse(try entry.decode(String.self, forKey: .cidr), key: .routes),
                                         networkInterfaceId: eni))
            }
            routes = parsed
            legacyCIDRs = Set(try container.decodeIfPresent([String].self, forKey: .legacyCIDRs)?.map { try parse($0, key: .legacyCIDRs) } ?? [])
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
    }
}
