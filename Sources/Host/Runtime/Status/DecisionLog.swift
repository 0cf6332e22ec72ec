import FoundationEssentials
import Reconciler
import RouteModel
import Synchronization

/// The route writes vpcrouter made (and the holds it entered), newest first and bounded, for
/// `/vpc`'s `recent_decisions` and the status page: the last pass alone forgets a failover as soon
/// as the next pass finds nothing to do.
final class DecisionLog: Sendable {
    struct Decision: Sendable {
        var time: Date
        var action: RouteAction
        /// For a failover: from the health change to the route visible in a re-read.
        var detectionToVisible: Duration?
    }

    static let capacity = 25
    private let decisions = Mutex<[Decision]>([])

    /// A write that EC2 accepted.
    func recordWrite(_ action: RouteAction, at time: Date) {
        append(Decision(time: time, action: action))
    }

    /// A held plan: recorded when the hold (or its reason) is new, not on every pass it lasts.
    func recordHold(_ action: RouteAction, at time: Date) {
        let isNew = decisions.withLock { current in
            guard let latest = current.first else { return true }
            return !(latest.action.verb == .hold && latest.action.reason == action.reason)
        }
        if isNew { append(Decision(time: time, action: action)) }
    }

    /// Attaches the failover latency to the failovers written since the last one was measured.
    func recordFailoverVisible(after latency: Duration) {
        decisions.withLock { current in
            for index in current.indices {
                guard current[index].action.followsHealthChange else { continue }
                if current[index].detectionToVisible != nil { break }
                current[index].detectionToVisible = latency
            }
        }
    }

    var document: JSONValue {
        .array(decisions.withLock { $0 }.map { decision in
            let action = decision.action
            return .object([
                ("time", .string(DaemonStatus.timestamp(decision.time))),
                ("action", .string(action.verb.rawValue)),
                ("cidr", .string(action.cidr.description)),
                ("table", action.tableId.map(JSONValue.string) ?? .null),
                ("from", action.oldTarget.map { .string($0.routerAddress?.description ?? $0.description) } ?? .null),
                ("to", action.newTarget.map { .string($0.routerAddress?.description ?? $0.description) } ?? .null),
                ("reason", .string(action.reason)),
                ("failover", .bool(action.isFailover)),
                ("detection_to_visible_ms", decision.detectionToVisible.map { .number(Double($0.nanosecondsClamped / 1_000_000)) } ?? .null),
            ])
        })
    }

    private func append(_ decision: Decision) {
        decisions.withLock { current in
            current.insert(decision, at: 0)
            if current.count > Self.capacity { current.removeLast(current.count - Self.capacity) }
        }
    }
}
