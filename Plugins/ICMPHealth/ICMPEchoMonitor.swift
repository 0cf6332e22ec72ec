import Glibc
import PluginABI
import PluginKit
import Synchronization

/// One icmpecho instance: its settings, its socket and its statistics.
final class ICMPEchoMonitor {
    let context: OpaquePointer?
    let interval: Double
    let timeout: Double
    private let socket: ICMPSocket
    /// nil only when the kernel has no IPv6 at all; IPv6 targets then get no opinion.
    private let socketV6: ICMPSocket?
    /// Our echo identifier on a raw socket; a datagram socket's kernel replaces it.
    private let identifier: UInt16
    private var roundNumber: UInt64 = 0
    private let statistics = Mutex(EchoStatistics())

    private init(context: OpaquePointer?, interval: Double, timeout: Double, socket: ICMPSocket, socketV6: ICMPSocket?) {
        self.context = context
        self.interval = interval
        self.timeout = timeout
        self.socket = socket
        self.socketV6 = socketV6
        self.identifier = UInt16.random(in: 1...UInt16.max)
    }

    static func create(context: OpaquePointer?, options: OptionValues) -> Result<ICMPEchoMonitor, PluginFailure> {
        let interval: Double
        let timeout: Double
        switch options.seconds("icmp_check_interval", default: 2, min: 0.1, max: 3600) {
        case .success(let value): interval = value ?? 2
        case .failure(let failure): return .failure(failure)
        }
        switch options.seconds("icmp_check_timeout", default: nil, min: 0.001, max: 3600) {
        case .success(let value): timeout = value ?? 0.75 * interval
        case .failure(let failure): return .failure(failure)
        }
        guard timeout <= interval else {
            return .failure(PluginFailure(config: "icmp_check_timeout (\(timeout) s) must not exceed icmp_check_interval (\(interval) s)"))
        }
        let socket: ICMPSocket
        switch ICMPSocket.open() {
        case .success(let opened): socket = opened
        case .failure(let unavailable): return .failure(PluginFailure(config: unavailable.description))
        }
        // An ICMPv6 socket too, under the same rule: refused for want of a permission, the plugin
        // refuses to start rather than report IPv6 routers failed; only a kernel without IPv6
        // (where no IPv6 router can be reached anyway) starts without one, and says so.
        var socketV6: ICMPSocket?
        switch ICMPSocket.open(v6: true) {
        case .success(let opened): socketV6 = opened
        case .failure(let unavailable) where unavailable.familyUnsupported:
            hostLog(context, VPCR_LOG_WARNING, "icmpecho: this kernel has no IPv6; IPv6 routers get no ICMPv6 verdict")
        case .failure(let unavailable): return .failure(PluginFailure(config: unavailable.description))
        }
        if let setSchedule = hostServices?.pointee.health_set_schedule {
            var error = vpcr_error()
            let status = setSchedule(context, UInt64(interval * 1e9), UInt64(timeout * 1e9), &error)
            if status != VPCR_OK {
                return .failure(PluginFailure(code: status, message: "the host refused the schedule: \(error.text)"))
            }
        }
        let v6Kind = socketV6.map { "\($0.kind.rawValue) ICMPv6 socket" } ?? "no ICMPv6 socket"
        hostLog(context, VPCR_LOG_INFO, "icmpecho: \(socket.kind.rawValue) ICMP socket, \(v6Kind), interval \(interval) s, timeout \(timeout) s")
        return .success(ICMPEchoMonitor(context: context, interval: interval, timeout: timeout, socket: socket, socketV6: socketV6))
    }

    // MARK: - Probing

    func probe(_ request: UnsafePointer<vpcr_probe_request>, verdicts: UnsafeMutablePointer<vpcr_verdict>, error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let targets = ProbeTargets(request, error: error) else { return vpcr_status(VPCR_E_INVALID) }
        let targetCount = targets.count
        // Our own clock for RTTs; the host's deadline converted once into it.
        let hostRemaining = Int64(bitPattern: request.pointee.deadline_mono_ns &- hostNow(context))
        let budget = min(max(hostRemaining, 0), Int64(timeout * 1e9))
        let startedAt = monotonicNanoseconds()
        let deadline = startedAt + UInt64(budget)

        var addresses = [ProbeAddress?](repeating: nil, count: targetCount)
        var outcome = [Outcome](repeating: .pending, count: targetCount)
        for index in 0..<targetCount {
            if let ip = targets.ip(at: index), let address = ProbeAddress(ip), !address.isV6 || socketV6 != nil {
                addresses[index] = address
            } else {
                outcome[index] = .unparsable
            }
        }

        roundNumber += 1
        let round = EchoRound(
            socketV4: socket, socketV6: socketV6, identifier: identifier,
            token: UInt64.random(in: 1...UInt64.max), addresses: addresses, outcome: outcome)
        // One retry halfway through windows long enough for it to matter.
        let retryAt = budget >= 200_000_000 ? startedAt + UInt64(budget / 2) : nil
        round.run(until: deadline, retryAt: retryAt)

        var answers: [(Int, UInt64)] = []
        let roundTrips = ProbeRoundTrips(request)
        for index in 0..<targetCount {
            switch round.outcome[index] {
            case .answered(let rtt):
                verdicts[index] = VPCR_VERDICT_HEALTHY
                answers.append((index, rtt))
                roundTrips.record(nanoseconds: max(rtt, 1), at: index)
            case .unparsable, .pending:
                // Not an address, or no time left to send: no opinion rather than a false failure.
                verdicts[index] = VPCR_VERDICT_UNKNOWN
            case .sent, .unreachable:
                verdicts[index] = VPCR_VERDICT_FAILED
            }
        }
        let ips = answers.map { index, _ in String(cString: targets.ip(at: index)!) }
        let measurement = EchoStatistics.Round(
            probes: round.sentCount,
            rtts: zip(ips, answers).map { ($0, $1.1) },
            unanswered: targetCount - answers.count)
        statistics.withLock { $0.record(measurement) }
        if round.sendErrors > 0 {
            hostLog(context, VPCR_LOG_DEBUG, "icmpecho: \(round.sendErrors) echo requests could not be sent (no route or interface down)")
        }
        return vpcr_status(VPCR_OK)
    }

    // MARK: - Status

    func reportInfo(to sink: OpaquePointer) {
        let snapshot = statistics.withLock { $0 }
        hostInfoAdd(sink, "params", "icmp_check_interval", "\(interval)")
        hostInfoAdd(sink, "params", "icmp_check_timeout", "\(timeout)")
        hostInfoAdd(sink, "params", "socket", socket.kind.rawValue)
        hostInfoAdd(sink, "params", "socket_v6", socketV6?.kind.rawValue ?? "none")
        for (key, value) in snapshot.fields() {
            hostInfoAdd(sink, "stats", key, value)
        }
    }
}

/// Where one target stands within a round.
enum Outcome {
    case pending
    case sent(atNanoseconds: UInt64)
    case answered(rttNanoseconds: UInt64)
    /// The kernel refused to send (no route, link down): failed without waiting.
    case unreachable
    /// The target is not an address, or IPv6 on a kernel without it: no opinion.
    case unparsable
}
