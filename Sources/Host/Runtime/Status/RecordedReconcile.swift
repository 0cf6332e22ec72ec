import FoundationEssentials
import Reconciler
import RouteModel
import StatusServer

/// The last reconcile as `DaemonStatus` keeps it: the values the planner produced, from which
/// the members of `/route_info` and `/vpc` are built on each request.
struct RecordedReconcile: Sendable {
    let reconcile: ReconcileStatus
    /// The actions of the pass, for each route's last action and reason.
    let lastActions: [RouteAction]
    /// When the pass was recorded (each route's `time` on `/vpc`).
    let time: String

    /// `routes` (the original's `[router, instance, eni]` per CIDR) and `cidrs`.
    func routeInfoMembers() -> [(String, JSONValue)] {
        let routes: [(String, JSONValue)] = reconcile.cidrs.map { cidr in
            (cidr.cidr.description, .array([
                cidr.target?.routerAddress.map { .string($0.description) } ?? .null,
                .string(cidr.target?.instanceId ?? "(unknown)"),
                .string(cidr.target?.networkInterfaceId ?? "(unknown)"),
            ]))
        }
        return [
            ("routes", .object(routes)),
            ("cidrs", .object(reconcile.cidrs.map { cidr in
                (cidr.cidr.description, .object([
                    ("router", cidr.target?.routerAddress.map { .string($0.description) } ?? .null),
                    ("eni", cidr.target?.networkInterfaceId.map(JSONValue.string) ?? .null),
                    ("instance", cidr.target?.instanceId.map(JSONValue.string) ?? .null),
                    ("tables", .array(cidr.tableIds.map(JSONValue.string))),
                    ("last_action", cidr.lastAction.map { .string($0.rawValue) } ?? .null),
                    ("reason", cidr.reason.map(JSONValue.string) ?? .null),
                    ("notes", .array(cidr.notes.map(JSONValue.string))),
                    ("preference", cidr.preference.map(DaemonStatus.preferenceDocument) ?? .null),
                ]))
            })),
        ]
    }

    /// `time`, `vpc_id`, `held`, `notes` and `route_tables` with every route's state.
    func vpcMembers() -> [(String, JSONValue)] {
        let preferences = Dictionary(reconcile.cidrs.compactMap { cidr in cidr.preference.map { (cidr.cidr, $0) } },
                                     uniquingKeysWith: { first, _ in first })
        var actionsByRoute: [String: RouteAction] = [:]
        for action in lastActions { actionsByRoute["\(action.tableId ?? "-") \(action.cidr)"] = action }
        let tables: [(String, JSONValue)] = reconcile.tables.map { table in
            var prefixListFields: [(String, JSONValue)] = []
            if let quota = table.quota {
                prefixListFields.append(("route_quota", .object([
                    ("used", .number(Double(quota.used))), ("planned", .number(Double(quota.planned))), ("quota", .number(Double(quota.quota))),
                ])))
            }
            if !table.prefixListRoutes.isEmpty {
                prefixListFields.append(("prefix_list_routes", .object(table.prefixListRoutes.map { action in
                    let target = action.newTarget ?? action.oldTarget
                    return (action.prefixListId ?? "-", .object([
                        ("router", target?.routerAddress.map { .string($0.description) } ?? .null),
                        ("eni", target?.networkInterfaceId.map(JSONValue.string) ?? .null),
                        ("last_action", .string(action.verb.rawValue)),
                        ("reason", .string(action.reason)),
                    ]))
                })))
            }
            return (table.id, .object([
                ("main", .bool(table.isMain)),
                ("managed", .bool(table.isManaged)),
                ("subnets", .array(table.subnetIds.map(JSONValue.string))),
                ("routes", .object(table.entries.map { entry in
                    let action = actionsByRoute["\(table.id) \(entry.cidr)"]
                    let target = entry.planned ?? entry.observed
                    var fields: [(String, JSONValue)] = [
                        ("state", .string(entry.isBlackhole ? "blackhole" : "active")),
                        ("router", target?.routerAddress.map { .string($0.description) } ?? .null),
                        ("eni", target?.networkInterfaceId.map(JSONValue.string) ?? .null),
                        ("instance", target?.instanceId.map(JSONValue.string) ?? .null),
                        ("last_action", .string((action?.verb ?? entry.action).rawValue)),
                        ("reason", .string(action?.reason ?? entry.reason)),
                        // As the tables are now (re-read after the writes), not as the last action found them.
                        ("status", .string(entry.state.rawValue)),
                        ("time", .string(time)),
                    ]
                    if let preference = preferences[entry.cidr] { fields.append(("preference", DaemonStatus.preferenceDocument(preference))) }
                    return (entry.cidr.description, .object(fields))
                })),
            ] + prefixListFields))
        }
        return [
            ("time", .string(time)),
            ("vpc_id", reconcile.vpcId.map(JSONValue.string) ?? .null),
            ("held", .bool(reconcile.isHeld)),
            ("notes", .array(reconcile.notes.map(JSONValue.string))),
            ("route_tables", .object(tables)),
        ]
    }
}
