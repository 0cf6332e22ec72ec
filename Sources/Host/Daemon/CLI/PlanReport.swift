import Reconciler
import RouteModel

/// How `vpcrouter plan` prints a plan: an aligned table for people, or JSON for scripts.
enum PlanReport {
    static let columns = ["ACTION", "TABLE", "CIDR", "FROM", "TO", "REASON"]

    static func row(_ action: RouteAction) -> [String] {
        [action.verb.rawValue, action.tableId ?? "-", action.cidr.description,
         action.oldTarget?.description ?? "-", action.newTarget?.description ?? "-",
         action.reason + (action.isFailover ? " [failover]" : "")]
    }

    static let listColumns = ["PREFIX-LIST ACTION", "LIST", "TABLE", "ENTRIES", "FROM", "TO", "REASON"]

    static func row(_ action: PrefixListAction) -> [String] {
        var entries = action.addEntries.map { "+\($0)" } + action.removeEntries.map { "-\($0)" }
        if entries.count > 3 { entries = Array(entries.prefix(3)) + ["(\(entries.count) in all)"] }
        var list = action.prefixListId ?? "(new)"
        if action.verb == .createList, let max = action.maxEntries { list += " max \(max)" }
        if let version = action.currentVersion { list += " v\(version)" }
        return [action.verb.rawValue, list, action.tableId ?? "-", entries.isEmpty ? "-" : entries.joined(separator: " "),
                action.oldTarget?.description ?? "-", action.newTarget?.description ?? "-",
                action.reason + (action.isFailover ? " [failover]" : "")]
    }

    static func aligned(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padded(toWidth: widths[column])
            }.joined(separator: "  ")
        }
    }

    static func table(_ plan: RoutePlan) -> String {
        var lines = aligned([columns] + plan.actions.map(row))
        if plan.actions.isEmpty { lines.append("(no routes to manage)") }
        if !plan.prefixListActions.isEmpty {
            lines.append("")
            lines += aligned([listColumns] + plan.prefixListActions.map(row))
        }
        let writes = plan.writes.count
        lines.append("")
        if plan.prefixListActions.isEmpty && plan.tableQuota.isEmpty {
            lines.append("\(writes) write\(writes == 1 ? "" : "s") planned; nothing was written")
        } else {
            let listWrites = plan.prefixListWrites.count
            lines.append("\(writes) route write\(writes == 1 ? "" : "s") and \(listWrites) prefix-list write\(listWrites == 1 ? "" : "s") planned; nothing was written")
            lines += plan.tableQuota.map { "route quota: \($0.tableId) uses \($0.used) of \($0.quota), \($0.planned) once the lists are in place" }
        }
        lines += plan.notes.map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }

    static func json(_ plan: RoutePlan) -> String {
        func target(_ target: RouteTarget?) -> JSONValue {
            guard let target else { return .null }
            return .object([
                ("router", target.routerAddress.map { .string($0.description) } ?? .null),
                ("eni", target.networkInterfaceId.map(JSONValue.string) ?? .null),
                ("instance", target.instanceId.map(JSONValue.string) ?? .null),
                ("other", target.otherId.map(JSONValue.string) ?? .null),
            ])
        }
        let document = JSONValue.object([
            ("held", .bool(plan.isHeld)),
            ("writes", .number(Double(plan.writes.count))),
            ("actions", .array(plan.actions.map { action in
                .object([
                    ("action", .string(action.verb.rawValue)),
                    ("table", action.tableId.map(JSONValue.string) ?? .null),
                    ("cidr", .string(action.cidr.description)),
                    ("from", target(action.oldTarget)),
                    ("to", target(action.newTarget)),
                    ("failover", .bool(action.isFailover)),
                    ("reason", .string(action.reason)),
                ])
            })),
            ("prefix_list_writes", .number(Double(plan.prefixListWrites.count))),
            ("prefix_list_actions", .array(plan.prefixListActions.map { action in
                .object([
                    ("action", .string(action.verb.rawValue)),
                    ("prefix_list", action.prefixListId.map(JSONValue.string) ?? .null),
                    ("group", action.group.map { .string($0.key) } ?? .null),
                    ("table", action.tableId.map(JSONValue.string) ?? .null),
                    ("add", .array(action.addEntries.map { .string($0.description) })),
                    ("remove", .array(action.removeEntries.map { .string($0.description) })),
                    ("max_entries", action.maxEntries.map { .number(Double($0)) } ?? .null),
                    ("current_version", action.currentVersion.map { .number(Double($0)) } ?? .null),
                    ("from", target(action.oldTarget)),
                    ("to", target(action.newTarget)),
                    ("failover", .bool(action.isFailover)),
                    ("reason", .string(action.reason)),
                ])
            })),
            ("route_quota", .array(plan.tableQuota.map { use in
                .object([
                    ("table", .string(use.tableId)), ("used", .number(Double(use.used))),
                    ("planned", .number(Double(use.planned))), ("quota", .number(Double(use.quota))),
                ])
            })),
            ("notes", .array(plan.notes.map { note in
                .object([
                    ("kind", .string(note.kind.description)),
                    ("cidr", note.cidr.map { .string($0.description) } ?? .null),
                    ("message", .string(note.message)),
                ])
            })),
        ])
        return document.serialized(pretty: true)
    }
}
