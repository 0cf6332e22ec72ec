import Glibc
import PluginABI
import RouteModel
import Synchronization

/// One running instance of a plugin: create, start, (probe), stop, destroy — in that order.
///
/// Calls into the plugin are serialised, as the ABI's INSTANCE and PROBE classes require.
public final class PluginInstance: Sendable {
    public let plugin: LoadedPlugin
    let context: PluginInstanceContext
    private let handle: Mutex<InstanceHandle>
    private let phase = Mutex(Phase.created)
    private let invalidVerdictReported = Atomic(false)
    private let infoCache = Mutex<PluginInfo?>(nil)

    enum Phase { case created, started, stopped, destroyed }

    private init(plugin: LoadedPlugin, context: PluginInstanceContext, handle: UnsafeMutableRawPointer?) {
        self.plugin = plugin
        self.context = context
        self.handle = Mutex(InstanceHandle(pointer: handle))
    }

    /// Calls the plugin's `create` with its parsed options.
    public static func create(
        _ plugin: LoadedPlugin, options: [(String, String)], services: PluginServices
    ) throws(PluginError) -> PluginInstance {
        let context = PluginInstanceContext(plugin: plugin, services: services)
        var error = vpcr_error()
        var instance: UnsafeMutableRawPointer?
        let names = options.map { strdup($0.0) }
        let values = options.map { strdup($0.1) }
        defer {
            names.forEach { free($0) }
            values.forEach { free($0) }
        }
        let pairs = zip(names, values).map { vpcr_option_value(long_name: $0.0, value: $0.1) }
        let status = pairs.withUnsafeBufferPointer { buffer in
            plugin.descriptor.create!(context.opaquePointer, buffer.baseAddress, UInt32(buffer.count), &instance, &error)
        }
        context.state.withLock { $0.inCreate = false }
        guard status == vpcr_status(VPCR_OK) else {
            throw PluginError(plugin: plugin.name, operation: "create", code: status, message: message(of: &error, status: status))
        }
        return PluginInstance(plugin: plugin, context: context, handle: instance)
    }

    /// The schedule a health plugin asked for in `create`. A plugin that set none but opened
    /// children (multi) runs at its fastest child's interval with its slowest child's timeout,
    /// capped at that interval; otherwise the standard schedule applies.
    public var schedule: HealthSchedule {
        let (own, children) = context.state.withLock { ($0.schedule, $0.children) }
        if let own { return own }
        guard !children.isEmpty else { return .standard }
        let interval = children.map(\.schedule.interval).min()!
        let timeout = min(children.map(\.schedule.timeout).max()!, interval)
        return HealthSchedule(interval: interval, timeout: timeout)
    }

    public func start() throws(PluginError) {
        var error = vpcr_error()
        context.state.withLock { $0.acceptsSubmissions = plugin.kind == .mode }
        let status = handle.withLock { plugin.descriptor.start!($0.pointer, &error) }
        guard status == vpcr_status(VPCR_OK) else {
            context.state.withLock { $0.acceptsSubmissions = false }
            throw PluginError(plugin: plugin.name, operation: "start", code: status, message: Self.message(of: &error, status: status))
        }
        phase.withLock { $0 = .started }
    }

    /// Stops the instance (and its children) and destroys it. Safe to call more than once.
    public func shutdown(timeout: Duration = .seconds(5)) {
        let previous = phase.withLock { phase -> Phase in
            let old = phase
            if old != .destroyed { phase = .destroyed }
            return old
        }
        guard previous != .destroyed else { return }
        let deadline = MonotonicClock.deadline(after: timeout)
        // A probe that never returned holds the instance: stop and destroy may not run beside it
        // (the ABI's PROBE class), so after a bounded wait the instance is left as it is and the
        // process ends without them, rather than blocking shutdown for ever.
        let waitLimit = plugin.kind == .health ? min(timeout, schedule.timeout + .seconds(1)) : timeout
        let waitUntil = ContinuousClock.now + waitLimit
        var done = false
        while !done {
            let acquired: Bool? = handle.withLockIfAvailable { instance in
                if previous == .started {
                    let status = plugin.descriptor.stop!(instance.pointer, deadline)
                    if status != vpcr_status(VPCR_OK) {
                        context.logger.warning("plugin stop reported an error", metadata: ["status": "\(status)"])
                    }
                }
                plugin.descriptor.destroy!(instance.pointer)
                instance.pointer = nil
                return true
            }
            done = acquired != nil
            if !done {
                guard ContinuousClock.now < waitUntil else {
                    context.logger.error("plugin still inside a call (a probe that never returned): not stopped or destroyed",
                                         metadata: ["plugin.name": "\(plugin.name)"])
                    break
                }
                usleep(10_000)
            }
        }
        context.state.withLock { $0.acceptsSubmissions = false }
        let children = context.state.withLock { state in
            defer { state.children = [] }
            return state.children
        }
        for child in children.reversed() { child.shutdown(timeout: timeout) }
    }

    /// Runs one probe round; one verdict per target, in order, with the round-trip time the plugin
    /// measured (ABI 1.1; none from a 1.0 plugin, and none that is 0 or over a minute).
    public func probe(_ targets: [HealthTarget], deadline: UInt64, generation: UInt64 = 0) throws(PluginError) -> [ProbeResult] {
        guard plugin.kind == .health, let probe = plugin.descriptor.probe else {
            throw PluginError(plugin: plugin.name, operation: "probe", code: vpcr_status(VPCR_E_UNSUPPORTED), message: "not a health plugin")
        }
        let addresses = targets.map { strdup($0.address.description) }
        let instances = targets.map { $0.instanceID.map { strdup($0) } ?? nil }
        defer {
            addresses.forEach { free($0) }
            instances.forEach { free($0) }
        }
        let cTargets = zip(addresses, instances).map { vpcr_target(ip: $0.0, instance_id: $0.1) }
        var verdicts = [vpcr_verdict](repeating: VPCR_VERDICT_UNKNOWN, count: targets.count)
        var roundTrips = [UInt64](repeating: 0, count: targets.count)
        var error = vpcr_error()
        let status = cTargets.withUnsafeBufferPointer { targetBuffer in
            roundTrips.withUnsafeMutableBufferPointer { roundTripBuffer in
                var request = vpcr_probe_request(
                    struct_size: UInt32(MemoryLayout<vpcr_probe_request>.size),
                    target_stride: UInt32(MemoryLayout<vpcr_target>.stride),
                    generation: generation, deadline_mono_ns: deadline,
                    targets: targetBuffer.baseAddress, target_count: UInt32(targetBuffer.count), reserved: 0,
                    out_rtt_ns: roundTripBuffer.baseAddress)
                return verdicts.withUnsafeMutableBufferPointer { verdictBuffer in
                    handle.withLock { probe($0.pointer, &request, verdictBuffer.baseAddress, &error) }
                }
            }
        }
        guard status == vpcr_status(VPCR_OK) else {
            throw PluginError(plugin: plugin.name, operation: "probe", code: status, message: Self.message(of: &error, status: status))
        }
        if let invalid = verdicts.first(where: { !HealthVerdict.isDefined($0) }), !invalidVerdictReported.exchange(true, ordering: .relaxed) {
            context.logger.error("health plugin returned a verdict outside the ABI's values; such verdicts count as no opinion (said once)",
                                 metadata: ["plugin.name": "\(plugin.name)", "verdict.value": "\(invalid.rawValue)"])
        }
        return zip(verdicts, roundTrips).map { verdict, nanoseconds in
            ProbeResult(HealthVerdict(abi: verdict), roundTripTime: Self.roundTripTime(nanoseconds))
        }
    }

    /// A plugin's round-trip figure, if it is one: 0 is "not measured", and over a minute cannot be
    /// the check behind this round's verdict.
    static func roundTripTime(_ nanoseconds: UInt64) -> Duration? {
        guard nanoseconds > 0, nanoseconds <= 60_000_000_000 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// Passes a child probe straight through (the parent's PROBE thread runs it).
    func probeRaw(_ request: UnsafePointer<vpcr_probe_request>, _ verdicts: UnsafeMutablePointer<vpcr_verdict>?,
                  _ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let probe = plugin.descriptor.probe else { return vpcr_status(VPCR_E_UNSUPPORTED) }
        return handle.withLock { probe($0.pointer, request, verdicts, error) }
    }

    /// The plugin's info as last refreshed (identity only before the first refresh). Reading it
    /// never calls into the plugin, so a status request never waits behind a probe.
    public var infoSnapshot: PluginInfo {
        infoCache.withLock { $0 } ?? PluginInfo(name: plugin.name, kind: plugin.kind, version: plugin.version, abi: plugin.abiText,
                                                file: plugin.file, loadedFrom: plugin.resolvedFile, params: [:], stats: [:])
    }

    /// Asks the plugin for its params and stats and keeps them for `infoSnapshot`. Skipped while
    /// another call holds the instance (a probe, stop or destroy): the snapshot then keeps its
    /// previous value, and a destroyed instance is never asked. Blocks inside report_info: call
    /// it on a thread of its own.
    public func refreshInfo() {
        let fresh: PluginInfo?? = handle.withLockIfAvailable { instance -> PluginInfo? in
            guard phase.withLock({ $0 }) != .destroyed else { return nil }
            return info(reportingFrom: instance.pointer)
        }
        if case .some(.some(let info)) = fresh { infoCache.withLock { $0 = info } }
    }

    /// Identity plus whatever params and stats the plugin reports.
    public func info() -> PluginInfo {
        let destroyed = phase.withLock { $0 } == .destroyed
        return info(reportingFrom: destroyed ? nil : handle.withLock { $0.pointer }, skipReport: destroyed)
    }

    private func info(reportingFrom instance: UnsafeMutableRawPointer?, skipReport: Bool = false) -> PluginInfo {
        var info = PluginInfo(name: plugin.name, kind: plugin.kind, version: plugin.version, abi: plugin.abiText,
                              file: plugin.file, loadedFrom: plugin.resolvedFile, params: [:], stats: [:])
        if let report = plugin.descriptor.report_info, !skipReport {
            let sink = PluginInfoSink()
            let sinkPointer = OpaquePointer(Unmanaged.passUnretained(sink).toOpaque())
            _ = withExtendedLifetime(sink) { report(instance, sinkPointer) }
            info.params = sink.params
            info.stats = sink.stats
        }
        for option in plugin.options where option.isSecret {
            if info.params[option.longName] != nil { info.params[option.longName] = "(secret)" }
        }
        return info
    }

    static func message(of error: inout vpcr_error, status: vpcr_status) -> String {
        let text = withUnsafeMutableBytes(of: &error.message) { bytes -> String in
            bytes[bytes.count - 1] = 0
            return String(cString: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
        return text.isEmpty ? "no message (status \(status))" : text
    }
}

/// The plugin's opaque instance pointer; only ever used under the instance's lock.
struct InstanceHandle: @unchecked Sendable {
    var pointer: UnsafeMutableRawPointer?
}
