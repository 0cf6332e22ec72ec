import EtcdClient
import HTTPClient
import PluginABI
import PluginKit
import Synchronization

/// Follows one etcd key: reads it, submits its value as the route spec, then watches it. On any
/// failure it moves to the next endpoint after a growing pause, reads the key afresh and watches
/// again; the host keeps the last good spec meanwhile. The work is one task on a thread of the
/// plugin's own (`FollowerThread`), talking to etcd through the shared `EtcdClient`.
final class EtcdKeyFollower: PluginInstance, @unchecked Sendable {
    let context: OpaquePointer?
    let endpoints: [EtcdEndpoint]
    let key: String
    /// A watch that has been silent this long is re-established after a fresh read, so a stream
    /// that hangs without closing (a paused or partitioned member) is noticed.
    let resyncInterval: Duration
    let requestTimeout: Duration = .seconds(3)
    /// One connection cache and HTTP thread for every endpoint this instance talks to.
    let transport: CurlTransport

    private struct State {
        var generation: UInt64 = 0
        /// The mod revision of the last value handled (submitted, refused or deleted).
        var lastModRevision: Int64 = 0
        var accepted = 0
        var refused = 0
        var reconnects = 0
        var currentEndpoint: EtcdEndpoint?
        var lastProblem = ""
    }

    private let state = Mutex(State())
    private let running = Mutex<(thread: FollowerThread, task: Task<Void, Never>)?>(nil)

    init(context: OpaquePointer?, endpoints: [EtcdEndpoint], key: String, resyncInterval: Double) {
        self.context = context
        self.endpoints = endpoints
        self.key = key
        self.resyncInterval = .milliseconds(Int64(resyncInterval * 1000))
        transport = CurlTransport(configuration: .init(
            connectTimeout: requestTimeout, idleTimeout: requestTimeout, requestTimeout: requestTimeout,
            maxResponseBytes: 4 << 20, maxCachedConnections: 2))
    }

    func log(_ level: vpcr_log_level, _ message: String, _ fields: [(String, String)]) {
        hostLog(context, level, message, fields: [("etcd.key", key)] + fields)
    }

    func start() throws(PluginFailure) {
        guard let thread = FollowerThread() else {
            throw PluginFailure(code: vpcr_status(VPCR_E_IO), message: "cannot start the etcd thread")
        }
        let task = Task(executorPreference: thread) { [self] in
            await follow()
            thread.close()
        }
        running.withLock { $0 = (thread, task) }
    }

    /// Cancels the follow task (which aborts its request or watch at once) and waits for its
    /// thread until the deadline.
    func stop(deadlineNanoseconds: UInt64) {
        guard let (thread, task) = running.withLock({ current in defer { current = nil }; return current }) else { return }
        task.cancel()
        let now = hostNow(context)
        let remaining = min(deadlineNanoseconds > now ? deadlineNanoseconds - now : 0, 10_000_000_000)
        if !thread.waitForExit(remainingNanoseconds: remaining) {
            log(VPCR_LOG_WARNING, "etcd thread did not stop by the deadline", [])
        }
    }

    // MARK: - The follow loop

    private func follow() async {
        var index = 0
        var pause = Duration.milliseconds(200)
        var outage = false
        while !Task.isCancelled {
            let endpoint = endpoints[index % endpoints.count]
            let client = EtcdClient(endpoints: [endpoint.url], requestTimeout: requestTimeout, transport: transport)
            var watching = false
            do {
                let current = try await client.get(key)
                state.withLock { $0.currentEndpoint = endpoint }
                if outage {
                    log(VPCR_LOG_NOTICE, "etcd reachable again", [("etcd.endpoint", endpoint.description)])
                    outage = false
                }
                pause = .milliseconds(200)
                handle(current)
                watching = true
                for try await events in try await client.watch(key, afterRevision: current.revision, idleTimeout: resyncInterval) {
                    for event in events { handle(event) }
                }
            } catch {
                let problem = error as? EtcdError ?? EtcdError(.unreachable, "\(error)")
                if problem.kind == .cancelled || Task.isCancelled { return }
                if watching && problem.kind == .timedOut {
                    continue  // a quiet watch: read afresh and watch again on the same endpoint
                }
                if watching && problem.kind == .watchCancelled {
                    // Typically the start revision was compacted away: etcd is fine, read afresh.
                    log(VPCR_LOG_INFO, "etcd ended the watch; reading the key afresh", [("reason", problem.message)])
                    continue
                }
                state.withLock {
                    $0.reconnects += 1
                    $0.currentEndpoint = nil
                    $0.lastProblem = "\(endpoint): \(problem.message)"
                }
                // Said once per outage; the retries in between are debug noise.
                log(outage ? VPCR_LOG_DEBUG : VPCR_LOG_WARNING, "etcd unreachable; the last good spec stays in force, retrying",
                    [("etcd.endpoint", endpoint.description), ("reason", problem.message)])
                outage = true
                index += 1
                do { try await Task.sleep(for: pause) } catch { return }
                pause = min(pause * 2, .seconds(5))
            }
        }
    }

    private func handle(_ current: EtcdRead) {
        guard let keyValue = current.keyValue else {
            let first: Bool = state.withLock { state in
                defer { state.lastModRevision = -1 }
                return state.lastModRevision != -1
            }
            if first {
                log(VPCR_LOG_WARNING, "etcd key does not exist; the last good spec stays in force",
                    [("etcd.revision", String(current.revision))])
            }
            return
        }
        submit(keyValue.value, modRevision: keyValue.modRevision)
    }

    private func handle(_ event: EtcdEvent) {
        switch event {
        case .put(let keyValue):
            submit(keyValue.value, modRevision: keyValue.modRevision)
        case .delete(_, let modRevision):
            state.withLock { $0.lastModRevision = -1 }
            log(VPCR_LOG_WARNING, "etcd key deleted; the last good spec stays in force",
                [("etcd.mod_revision", String(modRevision))])
        }
    }

    /// Hands a value to the host's validator unless this revision was handled already.
    private func submit(_ value: [UInt8], modRevision: Int64) {
        let next: UInt64? = state.withLock {
            if modRevision == $0.lastModRevision { return nil }
            $0.lastModRevision = modRevision
            $0.generation += 1
            return $0.generation
        }
        guard let next else { return }
        var error = vpcr_error()
        let status = value.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                hostServices!.pointee.submit_route_spec_json(context, text.baseAddress, UInt64(text.count), next, &error)
            }
        }
        let reason = error.text
        state.withLock {
            if status == VPCR_OK { $0.accepted += 1 } else { $0.refused += 1; $0.lastProblem = "mod revision \(modRevision): \(reason)" }
        }
        if status == VPCR_OK {
            log(VPCR_LOG_INFO, "etcd value submitted", [("etcd.mod_revision", String(modRevision)), ("spec.generation", String(next))])
        } else {
            log(VPCR_LOG_ERROR, "etcd value refused; the last good spec stays in force",
                [("etcd.mod_revision", String(modRevision)), ("reason", reason)])
        }
    }

    func reportInfo(to sink: OpaquePointer) {
        let current = state.withLock { $0 }
        hostInfoAdd(sink, "params", "etcd_endpoints", endpoints.map(\.description).joined(separator: ","))
        hostInfoAdd(sink, "params", "etcd_key", key)
        hostInfoAdd(sink, "stats", "specs_accepted", String(current.accepted))
        hostInfoAdd(sink, "stats", "specs_refused", String(current.refused))
        hostInfoAdd(sink, "stats", "reconnects", String(current.reconnects))
        hostInfoAdd(sink, "stats", "connected_endpoint", current.currentEndpoint?.description ?? "none")
        if current.lastModRevision > 0 { hostInfoAdd(sink, "stats", "mod_revision", String(current.lastModRevision)) }
        if !current.lastProblem.isEmpty { hostInfoAdd(sink, "stats", "last_problem", current.lastProblem) }
    }
}
