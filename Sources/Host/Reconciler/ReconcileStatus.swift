import RouteModel

/// The data behind `/route_info` and `/vpc`: per-CIDR and per-table views of one plan and the
/// observation it was made from.
public struct ReconcileStatus: Equatable, Sendable {
    public var vpcId: String?
    public var isHeld: Bool
    public var cidrs: [CIDRStatus]
    public var tables: [RouteTableStatus]
    public var notes: [String]

    public init(plan: RoutePlan, spec: RouteSpec?, observed: ObservedVPC?) {
        vpcId = observed?.id
        isHeld = plan.isHeld
        notes = plan.notes.filter { $0.cidr == nil }.map(\.message)

        var actionsByCIDR: [IPCIDR: [RouteAction]] = [:]
        for action in plan.actions { actionsByCIDR[action.cidr, default: []].append(action) }
        var notesByCIDR: [IPCIDR: [String]] = [:]
        for note in plan.notes { if let cidr = note.cidr { notesByCIDR[cidr, default: []].append(note.message) } }

        let allCIDRs = Set(actionsByCIDR.keys).union(spec?.cidrs ?? []).union(notesByCIDR.keys).sorted()
        cidrs = allCIDRs.map { cidr in
            // Plan order puts writes first, so the first action is the most significant one.
            let actions = actionsByCIDR[cidr] ?? []
            let first = actions.first
            let tableIds = actions.compactMap { action -> String? in
                guard let tableId = action.tableId, action.verb != .delete, action.verb != .ignore else { return nil }
                return tableId
            }
            return CIDRStatus(
                cidr: cidr, routers: spec?[cidr],
                target: plan.chosenTargets[cidr] ?? actions.lazy.compactMap(\.oldTarget).first,
                tableIds: Array(Set(tableIds)).sorted(), lastAction: first?.verb, reason: first?.reason,
                notes: notesByCIDR[cidr] ?? [], preference: plan.preferences[cidr])
        }

        var entriesByTable: [String: [RouteTableStatus.Entry]] = [:]
        let routesByTable: [String: [IPCIDR: ObservedRoute]] = Dictionary(
            (observed?.routeTables ?? []).map { table in
                (table.id, Dictionary(table.routes.map { ($0.destination, $0) }, uniquingKeysWith: { first, _ in first }))
            }, uniquingKeysWith: { first, _ in first })
        for action in plan.actions {
            guard let tableId = action.tableId else { continue }
            let route = routesByTable[tableId]?[action.cidr]
            let planned: RouteTarget? = switch action.verb {
            case .create, .replace: action.newTarget
            case .delete: nil
            case .keep, .ignore, .hold: action.oldTarget
            }
            entriesByTable[tableId, default: []].append(RouteTableStatus.Entry(
                cidr: action.cidr, observed: action.oldTarget, isBlackhole: route?.state == .blackhole,
                action: action.verb, planned: planned, reason: action.reason, state: RouteState(action)))
        }
        let managed = Set(plan.managedTableIds)
        let explicitlyAssociated = Set((observed?.routeTables ?? []).flatMap(\.subnetIds))
        let implicitSubnets = (observed?.subnets ?? []).map(\.id).filter { !explicitlyAssociated.contains($0) }.sorted()
        tables = (observed?.routeTables ?? []).sorted { $0.id < $1.id }.map { table in
            RouteTableStatus(
                id: table.id, isMain: table.isMain,
                subnetIds: (table.subnetIds + (table.isMain ? implicitSubnets : [])).sorted(),
                isManaged: managed.contains(table.id),
                entries: (entriesByTable[table.id] ?? []).sorted { $0.cidr < $1.cidr },
                quota: plan.tableQuota.first { $0.tableId == table.id },
                prefixListRoutes: plan.prefixListActions.filter { $0.tableId == table.id && $0.prefixListId != nil })
        }
    }
}
