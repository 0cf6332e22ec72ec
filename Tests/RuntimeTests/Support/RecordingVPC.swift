import Reconciler
import RouteModel
import Runtime
import Synchronization

/// A fake of the VPC route access: it holds an `ObservedVPC`, applies route writes to it, records
/// every operation in the order it was asked for, and on command fails, delays (on the manual
/// clock) or throttles the next calls.
final class RecordingVPC: VPCRouteAccess {
    enum Operation: Hashable, CustomStringConvertible {
        case observe
        case create(table: String, cidr: IPCIDR, eni: String)
        case replace(table: String, cidr: IPCIDR, eni: String)
        case delete(table: String, cidr: IPCIDR)

        var isWrite: Bool { self != .observe }

        var description: String {
            switch self {
            case .observe: "observe"
            case .create(let table, let cidr, let eni): "create \(table) \(cidr) → \(eni)"
            case .replace(let table, let cidr, let eni): "replace \(table) \(cidr) → \(eni)"
            case .delete(let table, let cidr): "delete \(table) \(cidr)"
            }
        }
    }

    /// Which calls a fault applies to.
    enum Calls: Sendable { case reads, writes }

    /// What happens to the next matching calls.
    enum Fault: Sendable {
        case fail
        case throttle
        /// The call waits this long on the manual clock, then goes ahead.
        case delay(Duration)
    }

    /// A refusal the fake was told to give.
    struct InjectedFailure: Error, CustomStringConvertible {
        let operation: Operation
        let throttled: Bool

        var description: String {
            throttled ? "RequestLimitExceeded (injected) for \(operation)" : "injected failure for \(operation)"
        }
    }

    private struct PendingFault {
        let calls: Calls
        let fault: Fault
        var remaining: Int
    }

    private struct State {
        var vpc: ObservedVPC
        var operations: [Operation] = []
        var completed: [Operation] = []
        var faults: [PendingFault] = []
        var inFlight = 0
        /// What reads show while writes are hidden (EC2's eventual consistency at its slowest).
        var shown: ObservedVPC?
    }

    private let state: Mutex<State>
    let clock: ManualClock
    /// Called with each write once it has taken effect (a test flips leadership here, between
    /// two writes).
    private let afterWrite = Mutex<(@Sendable (Operation) -> Void)?>(nil)

    init(_ vpc: ObservedVPC, clock: ManualClock) {
        state = Mutex(State(vpc: vpc))
        self.clock = clock
    }

    /// Every call asked for so far, in order (a delayed call is recorded when it starts).
    var operations: [Operation] { state.withLock { $0.operations } }
    var writes: [Operation] { operations.filter(\.isWrite) }
    /// Calls that returned successfully, in the order they finished.
    var completed: [Operation] { state.withLock { $0.completed } }
    /// Calls started and not yet returned.
    var inFlight: Int { state.withLock { $0.inFlight } }
    var vpc: ObservedVPC { state.withLock { $0.vpc } }

    /// The next `count` calls of the kind get `fault`; faults queue in the order given.
    func inject(_ fault: Fault, on calls: Calls, count: Int = 1) {
        state.withLock { $0.faults.append(PendingFault(calls: calls, fault: fault, remaining: count)) }
    }

    func onWriteDone(_ hook: (@Sendable (Operation) -> Void)?) {
        afterWrite.withLock { $0 = hook }
    }

    /// The ENI a route in `table` points at now, if any.
    func target(of cidr: IPCIDR, in table: String) -> String? {
        vpc.routeTables.first { $0.id == table }?.routes.first { $0.destination == cidr }.flatMap { route in
            if case .networkInterface(let eni, _) = route.target { return eni }
            return nil
        }
    }

    func observe(routers: [IPAddress]) async throws -> ObservedVPC {
        try await perform(.observe, calls: .reads) { $0.shown ?? $0.vpc }
    }

    /// While hidden, writes take effect but reads go on showing the VPC as it was when hiding began.
    func hideWrites(_ hidden: Bool) {
        state.withLock { $0.shown = hidden ? $0.vpc : nil }
    }

    func apply(_ action: RouteAction) async throws {
        guard let table = action.tableId else { return }
        let operation: Operation
        switch action.verb {
        case .create: operation = .create(table: table, cidr: action.cidr, eni: action.newTarget?.networkInterfaceId ?? "-")
        case .replace: operation = .replace(table: table, cidr: action.cidr, eni: action.newTarget?.networkInterfaceId ?? "-")
        case .delete: operation = .delete(table: table, cidr: action.cidr)
        default: return
        }
        try await perform(operation, calls: .writes) { state in
            Self.write(operation, to: &state.vpc)
        }
        afterWrite.withLock { $0 }?(operation)
    }

    private func perform<T>(_ operation: Operation, calls: Calls, _ body: (inout State) -> T) async throws -> T {
        let fault = state.withLock { state -> Fault? in
            state.operations.append(operation)
            state.inFlight += 1
            guard let index = state.faults.firstIndex(where: { $0.calls == calls }) else { return nil }
            let fault = state.faults[index].fault
            state.faults[index].remaining -= 1
            if state.faults[index].remaining == 0 { state.faults.remove(at: index) }
            return fault
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        switch fault {
        case .fail: throw InjectedFailure(operation: operation, throttled: false)
        case .throttle: throw InjectedFailure(operation: operation, throttled: true)
        case .delay(let duration): try await clock.sleep(for: duration)
        case nil: break
        }
        return state.withLock { state in
            state.completed.append(operation)
            return body(&state)
        }
    }

    static func write(_ operation: Operation, to vpc: inout ObservedVPC) {
        switch operation {
        case .observe:
            return
        case .create(let table, let cidr, let eni), .replace(let table, let cidr, let eni):
            guard let index = vpc.routeTables.firstIndex(where: { $0.id == table }) else { return }
            let instance = vpc.networkInterfaces.first { $0.id == eni }?.attachedInstanceId
            let route = ObservedRoute(destination: cidr, target: .networkInterface(id: eni, instanceId: instance))
            vpc.routeTables[index].routes.removeAll { $0.destination == cidr }
            vpc.routeTables[index].routes.append(route)
        case .delete(let table, let cidr):
            guard let index = vpc.routeTables.firstIndex(where: { $0.id == table }) else { return }
            vpc.routeTables[index].routes.removeAll { $0.destination == cidr }
        }
    }
}
