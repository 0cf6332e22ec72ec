import Dispatch
import Glibc
import PluginABI
import PluginKit

/// One multi instance: the child health plugins it combines.
///
/// Each round probes every child at the same time (one thread per child, never per target) with
/// the parent's deadline, then combines per router (the round-trip time of a healthy verdict is
/// the slowest child's): failed if any child says failed, else
/// questionable if any says questionable, else healthy if all say healthy, else unknown.
///
/// Schedule: multi does not call health_set_schedule. The host then runs it at the smallest
/// interval any child asked for, with the longest child timeout capped at that interval, so
/// every child is probed at least as often as it wanted.
final class MultiMonitor {
    let context: OpaquePointer?
    let childNames: [String]
    private var children: [OpaquePointer]
    private let statisticsLock = PluginLock()
    private var rounds = 0
    private var childErrors: [Int]

    private init(context: OpaquePointer?, childNames: [String], children: [OpaquePointer]) {
        self.context = context
        self.childNames = childNames
        self.children = children
        self.childErrors = Array(repeating: 0, count: children.count)
    }

    static func create(context: OpaquePointer?, options: OptionValues) -> Result<MultiMonitor, PluginFailure> {
        guard let list = options["multi_plugins"] else {
            return .failure(PluginFailure(config: "multi_plugins is required: the health plugins to combine, e.g. icmpecho:tcp"))
        }
        let names = list.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else {
            return .failure(PluginFailure(config: "multi_plugins '\(list)' has an empty name; write names separated by ':', e.g. icmpecho:tcp"))
        }
        if names.contains("multi") {
            return .failure(PluginFailure(config: "multi_plugins must not name multi itself"))
        }
        if Set(names).count != names.count {
            return .failure(PluginFailure(config: "multi_plugins '\(list)' names a plugin twice"))
        }
        guard let open = hostServices?.pointee.child_health_open, hostServices?.pointee.child_health_probe != nil else {
            return .failure(PluginFailure(code: vpcr_status(VPCR_E_UNSUPPORTED), message: "this host cannot open child health plugins"))
        }
        var opened: [OpaquePointer] = []
        for name in names {
            var child: OpaquePointer?
            var error = vpcr_error()
            let status = name.withCString { open(context, $0, &child, &error) }
            guard status == VPCR_OK, let child else {
                for openedChild in opened { hostServices?.pointee.child_health_close?(openedChild) }
                let reason = error.text
                return .failure(PluginFailure(code: status == VPCR_OK ? vpcr_status(VPCR_E_INTERNAL) : status,
                                              message: "multi cannot open health plugin '\(name)': \(reason)"))
            }
            opened.append(child)
        }
        hostLog(context, VPCR_LOG_INFO, "multi: combining \(names.joined(separator: ", "))")
        return .success(MultiMonitor(context: context, childNames: names, children: opened))
    }

    func closeChildren() {
        for child in children {
            hostServices?.pointee.child_health_close?(child)
        }
        children = []
    }

    func probe(_ request: UnsafePointer<vpcr_probe_request>, verdicts: UnsafeMutablePointer<vpcr_verdict>, error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let probeChild = hostServices?.pointee.child_health_probe, !children.isEmpty else {
            PluginFailure(code: vpcr_status(VPCR_E_STATE), message: "multi has no open children (probe after stop?)").write(to: error)
            return vpcr_status(VPCR_E_STATE)
        }
        let targetCount = Int(request.pointee.target_count)
        let results = ChildResults(childCount: children.count, targetCount: targetCount)
        let group = DispatchGroup()
        // The 1.0 fields are read one by one (a 1.0 host's request ends there); each child gets
        // a request of its own with its own round-trip array, never the parent's, which several
        // child threads would write at once.
        nonisolated(unsafe) let childRequest = vpcr_probe_request(
            struct_size: UInt32(MemoryLayout<vpcr_probe_request>.size), target_stride: request.pointee.target_stride,
            generation: request.pointee.generation, deadline_mono_ns: request.pointee.deadline_mono_ns,
            targets: request.pointee.targets, target_count: request.pointee.target_count, reserved: 0, out_rtt_ns: nil)
        for (slot, child) in children.enumerated() {
            nonisolated(unsafe) let child = child
            let work: @Sendable () -> Void = {
                var childError = vpcr_error()
                let status = results.withBuffers(of: slot) { verdicts, roundTrips in
                    var request = childRequest
                    request.out_rtt_ns = roundTrips
                    return probeChild(child, &request, verdicts, &childError)
                }
                results.finish(slot, status: status, message: childError.text)
            }
            if slot == children.count - 1 {
                work() // the last child runs on the calling thread
            } else {
                group.enter()
                PluginThread.detach {
                    work()
                    group.leave()
                }
            }
        }
        group.wait()

        var failedChildren: [String] = []
        for slot in children.indices where results.status(of: slot) != VPCR_OK {
            failedChildren.append("\(childNames[slot]): \(results.message(of: slot))")
        }
        if !failedChildren.isEmpty {
            hostLog(context, VPCR_LOG_WARNING, "multi: no verdicts this round from \(failedChildren.joined(separator: "; "))")
        }
        let roundTrips = ProbeRoundTrips(request)
        for index in 0..<targetCount {
            var opinions: [vpcr_verdict] = []
            var slowest: UInt64 = 0
            for slot in children.indices where results.status(of: slot) == VPCR_OK {
                opinions.append(results.verdict(of: slot, target: index))
                slowest = max(slowest, results.roundTrip(of: slot, target: index))
            }
            verdicts[index] = Self.combine(opinions, expected: children.count)
            // A healthy verdict rests on every child's check: the slowest one is its round trip.
            if verdicts[index] == VPCR_VERDICT_HEALTHY { roundTrips.record(nanoseconds: slowest, at: index) }
        }
        statisticsLock.withLock {
            rounds += 1
            for slot in children.indices where results.status(of: slot) != VPCR_OK {
                childErrors[slot] += 1
            }
        }
        return vpcr_status(VPCR_OK)
    }

    /// Failed beats questionable beats healthy; healthy needs every child to agree.
    static func combine(_ opinions: [vpcr_verdict], expected: Int) -> vpcr_verdict {
        if opinions.contains(VPCR_VERDICT_FAILED) { return VPCR_VERDICT_FAILED }
        if opinions.contains(VPCR_VERDICT_QUESTIONABLE) { return VPCR_VERDICT_QUESTIONABLE }
        if opinions.count == expected && opinions.allSatisfy({ $0 == VPCR_VERDICT_HEALTHY }) { return VPCR_VERDICT_HEALTHY }
        return VPCR_VERDICT_UNKNOWN
    }

    func reportInfo(to sink: OpaquePointer) {
        hostInfoAdd(sink, "params", "multi_plugins", childNames.joined(separator: ":"))
        let (roundCount, errors) = statisticsLock.withLock { (self.rounds, self.childErrors) }
        hostInfoAdd(sink, "stats", "rounds", "\(roundCount)")
        for (name, count) in zip(childNames, errors) {
            hostInfoAdd(sink, "stats", "\(name)_failed_rounds", "\(count)")
        }
    }
}

/// What each child said in one round. The child threads run at the same time, so nothing they
/// write may share storage that Swift mutates as a whole (an array of arrays, an array written
/// element by element from several threads): each child gets its own verdict buffer, allocated
/// before the threads start, and its status and message are stored under a lock. The caller
/// reads everything after all threads have finished (DispatchGroup.wait orders the writes).
private final class ChildResults: @unchecked Sendable {
    private let targetCount: Int
    private let verdictBuffers: [UnsafeMutableBufferPointer<vpcr_verdict>]
    private let roundTripBuffers: [UnsafeMutableBufferPointer<UInt64>]
    private let lock = PluginLock()
    private var statuses: [vpcr_status]
    private var texts: [String]

    init(childCount: Int, targetCount: Int) {
        self.targetCount = targetCount
        verdictBuffers = (0..<childCount).map { _ in
            let buffer = UnsafeMutableBufferPointer<vpcr_verdict>.allocate(capacity: max(targetCount, 1))
            buffer.initialize(repeating: VPCR_VERDICT_UNKNOWN)
            return buffer
        }
        roundTripBuffers = (0..<childCount).map { _ in
            let buffer = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(targetCount, 1))
            buffer.initialize(repeating: 0)
            return buffer
        }
        statuses = Array(repeating: vpcr_status(VPCR_E_INTERNAL), count: childCount)
        texts = Array(repeating: "", count: childCount)
    }

    deinit {
        verdictBuffers.forEach { $0.deallocate() }
        roundTripBuffers.forEach { $0.deallocate() }
    }

    /// Called by child `slot`'s thread only.
    func withBuffers(of slot: Int, _ body: (UnsafeMutablePointer<vpcr_verdict>, UnsafeMutablePointer<UInt64>) -> vpcr_status) -> vpcr_status {
        body(verdictBuffers[slot].baseAddress!, roundTripBuffers[slot].baseAddress!)
    }

    /// Called by child `slot`'s thread only, once.
    func finish(_ slot: Int, status code: vpcr_status, message: String) {
        lock.withLock {
            statuses[slot] = code
            texts[slot] = message
        }
    }

    func status(of slot: Int) -> vpcr_status { lock.withLock { statuses[slot] } }
    func message(of slot: Int) -> String { lock.withLock { texts[slot] } }
    func verdict(of slot: Int, target index: Int) -> vpcr_verdict { verdictBuffers[slot][index] }
    func roundTrip(of slot: Int, target index: Int) -> UInt64 { roundTripBuffers[slot][index] }
}

extension vpcr_error {
    var text: String {
        var copy = message
        return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
