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

    static func table(_ plan: RoutePlan) -> String {
        let rows = [columns] + plan.actions.map(row)
        let widths = columns.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padded(toWidth: widths[column])
            }.joined(separator: "  ")
        }
        if plan.actions.isEmpty { lines.append("(no routes to manage)") }
        let writes = plan.writes.count
        lines.append("")
        lines.append("\(writes) write\(writes == 1 ? "" : "s") planned; nothing was written")
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
