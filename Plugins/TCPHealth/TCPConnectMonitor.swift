import Glibc
import PluginABI
import PluginKit
import Synchronization

/// One tcp instance: settings and statistics. Each probe is a `ConnectRound`.
final class TCPConnectMonitor {
    let context: OpaquePointer?
    let port: UInt16
    let interval: Double
    let connectTimeout: Double
    /// At most this many sockets are open at once, so thousands of targets never run into the
    /// descriptor limit; the rest wait for a slot. A quarter of the soft limit leaves the host
    /// room for its own files, and the limit itself is process-wide state we leave alone.
    let maximumOpenSockets: Int
    private struct Counters {
        var rounds = 0
        var connectsTried = 0
        var connected = 0
        var lastRoundUnstarted = 0
    }
    private let counters = Mutex(Counters())

    private init(context: OpaquePointer?, port: UInt16, interval: Double, connectTimeout: Double) {
        self.context = context
        self.port = port
        self.interval = interval
        self.connectTimeout = connectTimeout
        var limit = rlimit()
        let soft = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : 1024
        self.maximumOpenSockets = max(16, min(4096, soft / 4))
    }

    static func create(context: OpaquePointer?, options: OptionValues) -> Result<TCPConnectMonitor, PluginFailure> {
        let portText = options["tcp_check_port"] ?? "22"
        guard let port = Int(portText), (1...65535).contains(port) else {
            return .failure(PluginFailure(config: "tcp_check_port must be a port from 1 to 65535, got '\(portText)'"))
        }
        let interval: Double
        switch options.seconds("tcp_check_interval", default: 2, min: 0.1, max: 3600) {
        case .success(let value): interval = value ?? 2
        case .failure(let failure): return .failure(failure)
        }
        let timeout: Double
        switch options.seconds("tcp_check_timeout", default: nil, min: 0.001, max: 3600) {
        case .success(let value?):
            guard value <= interval else {
                return .failure(PluginFailure(config: "tcp_check_timeout (\(value) s) must not exceed tcp_check_interval (\(interval) s)"))
            }
            timeout = value
        case .success(nil): timeout = min(1, 0.75 * interval)
        case .failure(let failure): return .failure(failure)
        }
        // A round may use up to 0.75 of the interval (like icmpecho), and at least one connect
        // timeout; batches of connects need the slack when many routers time out.
        let roundTimeout = min(interval, max(timeout, 0.75 * interval))
        if let setSchedule = hostServices?.pointee.health_set_schedule {
            var error = vpcr_error()
            let status = setSchedule(context, UInt64(interval * 1e9), UInt64(roundTimeout * 1e9), &error)
            if status != VPCR_OK {
                return .failure(PluginFailure(code: status, message: "the host refused the schedule: \(error.text)"))
            }
        }
        let monitor = TCPConnectMonitor(context: context, port: UInt16(port), interval: interval, connectTimeout: timeout)
        hostLog(context, VPCR_LOG_INFO, "tcp: port \(port), interval \(interval) s, connect timeout \(timeout) s, at most \(monitor.maximumOpenSockets) sockets at once")
        return .success(monitor)
    }

    func probe(_ request: UnsafePointer<vpcr_probe_request>, verdicts: UnsafeMutablePointer<vpcr_verdict>, error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
        guard let targets = ProbeTargets(request, error: error) else { return vpcr_status(VPCR_E_INVALID) }
        let targetCount = targets.count
        let hostRemaining = Int64(bitPattern: request.pointee.deadline_mono_ns &- hostNow(context))
        let deadline = monotonicNanoseconds() + UInt64(max(hostRemaining, 0))

        let addresses: [ProbeAddress?] = (0..<targetCount).map { index in targets.ip(at: index).flatMap(ProbeAddress.init) }
        let round = ConnectRound(
            addresses: addresses, port: port,
            connectTimeoutNanoseconds: UInt64(connectTimeout * 1e9), maximumOpenSockets: maximumOpenSockets)
        round.run(until: deadline)

        var succeeded = 0
        var unstarted = 0
        let roundTrips = ProbeRoundTrips(request)
        for index in 0..<targetCount {
            switch round.outcome[index] {
            case .connected(let rtt):
                verdicts[index] = VPCR_VERDICT_HEALTHY
                roundTrips.record(nanoseconds: max(rtt, 1), at: index)
                succeeded += 1
            case .failed:
                verdicts[index] = VPCR_VERDICT_FAILED
            case .notStarted, .invalidAddress:
                // No connect was tried (round deadline or bad address): no opinion.
                verdicts[index] = VPCR_VERDICT_UNKNOWN
                unstarted += 1
            case .connecting:
                verdicts[index] = VPCR_VERDICT_FAILED
            }
        }
        if round.descriptorShortage {
            hostLog(context, VPCR_LOG_WARNING, "tcp: ran out of file descriptors; some connects waited for a free slot")
        }
        if unstarted > 0 {
            hostLog(context, VPCR_LOG_WARNING, "tcp: \(unstarted) routers were not probed this round (no time left or not an IP address)")
        }
        counters.withLock {
            $0.rounds += 1
            $0.connectsTried += round.started
            $0.connected += succeeded
            $0.lastRoundUnstarted = unstarted
        }
        return vpcr_status(VPCR_OK)
    }

    func reportInfo(to sink: OpaquePointer) {
        hostInfoAdd(sink, "params", "tcp_check_port", "\(port)")
        hostInfoAdd(sink, "params", "tcp_check_interval", "\(interval)")
        hostInfoAdd(sink, "params", "tcp_check_timeout", "\(connectTimeout)")
        hostInfoAdd(sink, "params", "max_open_sockets", "\(maximumOpenSockets)")
        let counted = counters.withLock { $0 }
        hostInfoAdd(sink, "stats", "rounds", "\(counted.rounds)")
        hostInfoAdd(sink, "stats", "connects_tried", "\(counted.connectsTried)")
        hostInfoAdd(sink, "stats", "connected", "\(counted.connected)")
        hostInfoAdd(sink, "stats", "last_round_not_probed", "\(counted.lastRoundUnstarted)")
    }
}
