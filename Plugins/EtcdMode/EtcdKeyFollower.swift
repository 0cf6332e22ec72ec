import Foundation
import Glibc
import PluginABI
import PluginKit

/// Follows one etcd key on its own thread: reads it, submits its value as the route spec, then
/// watches it. On any failure it moves to the next endpoint after a growing pause, reads the key
/// afresh and watches again; the host keeps the last good spec meanwhile.
final class EtcdKeyFollower: PluginInstance, @unchecked Sendable {
    let context: OpaquePointer?
    let endpoints: [EtcdEndpoint]
    let key: String
    /// A watch that has been silent this long is re-established after a fresh read, so a stream
    /// that hangs without closing (a paused or partitioned member) is noticed.
    let resyncInterval: Double
    let requestTimeout = 3.0

    private let lock = NSLock()
    private var generation: UInt64 = 0
    /// The mod revision of the last value handled (submitted, refused or deleted).
    private var lastModRevision: Int64 = 0
    private var accepted = 0
    private var refused = 0
    private var reconnects = 0
    private var currentEndpoint: EtcdEndpoint?
    private var lastProblem = ""
    private var stopPipe: [Int32] = [-1, -1]
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    init(context: OpaquePointer?, endpoints: [EtcdEndpoint], key: String, resyncInterval: Double) {
        self.context = context
        self.endpoints = endpoints
        self.key = key
        self.resyncInterval = resyncInterval
    }

    func log(_ level: vpcr_log_level, _ message: String, _ fields: [(String, String)]) {
        hostLog(context, level, message, fields: [("etcd.key", key)] + fields)
    }

    func start() throws(PluginFailure) {
        guard pipe(&stopPipe) == 0 else {
            throw PluginFailure(code: vpcr_status(VPCR_E_IO), message: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        running = true
        let thread = Thread { [self] in
            follow()
            finished.signal()
        }
        thread.name = "etcd"
        thread.start()
    }

    /// Wakes the thread (every wait polls the pipe) and waits for it until the deadline.
    func stop(deadlineNanoseconds: UInt64) {
        guard running else { return }
        running = false
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
        let now = Deadline.now()
        let wait = deadlineNanoseconds > now ? deadlineNanoseconds - now : 0
        if finished.wait(timeout: .now() + .nanoseconds(Int(min(wait, 10_000_000_000)))) == .timedOut {
            log(VPCR_LOG_WARNING, "etcd thread did not stop by the deadline", [])
            return  // the pipe stays open: the thread may still poll it
        }
        close(stopPipe[0])
        close(stopPipe[1])
    }

    // MARK: - The follow loop

    private func follow() {
        var index = 0
        var pause = 0.2
        var outage = false
        while true {
            let endpoint = endpoints[index % endpoints.count]
            let gateway = EtcdGateway(endpoint: endpoint, stopDescriptor: stopPipe[0], requestTimeout: requestTimeout)
            var watching = false
            do {
                let current = try gateway.read(key)
                lock.withLock { currentEndpoint = endpoint }
                if outage {
                    log(VPCR_LOG_NOTICE, "etcd reachable again", [("etcd.endpoint", endpoint.description)])
                    outage = false
                }
                pause = 0.2
                handle(current)
                watching = true
                try gateway.watch(key, after: current.revision, idleTimeout: resyncInterval) { event in
                    handle(event)
                    return true
                }
            } catch {
                if error.stopped { return }
                if error.timedOut && watching {
                    continue  // a quiet watch: read afresh and watch again on the same endpoint
                }
                lock.withLock {
                    reconnects += 1
                    currentEndpoint = nil
                    lastProblem = "\(endpoint): \(error.message)"
                }
                // Said once per outage; the retries in between are debug noise.
                log(outage ? VPCR_LOG_DEBUG : VPCR_LOG_WARNING, "etcd unreachable; the last good spec stays in force, retrying",
                    [("etcd.endpoint", endpoint.description), ("reason", error.message)])
                outage = true
                index += 1
                if sleepOrStop(pause) { return }
                pause = min(pause * 2, 5)
            }
        }
    }

    /// Sleeps, or returns true at once when a stop is requested.
    private func sleepOrStop(_ seconds: Double) -> Bool {
        var descriptor = pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, Int32(seconds * 1000)) > 0
    }

    private func handle(_ current: KeyValue) {
        guard let value = current.value else {
            let first: Bool = lock.withLock {
                defer { lastModRevision = -1 }
                return lastModRevision != -1
            }
            if first {
                log(VPCR_LOG_WARNING, "etcd key does not exist; the last good spec stays in force",
                    [("etcd.revision", String(current.revision))])
            }
            return
        }
        submit(value, modRevision: current.modRevision)
    }

    private func handle(_ event: KeyEvent) {
        switch event {
        case .put(let value, let modRevision):
            submit(value, modRevision: modRevision)
        case .delete(let modRevision):
            lock.withLock { lastModRevision = -1 }
            log(VPCR_LOG_WARNING, "etcd key deleted; the last good spec stays in force",
                [("etcd.mod_revision", String(modRevision))])
        }
    }

    /// Hands a value to the host's validator unless this revision was handled already.
    private func submit(_ value: [UInt8], modRevision: Int64) {
        let next: UInt64? = lock.withLock {
            if modRevision == lastModRevision { return nil }
            lastModRevision = modRevision
            generation += 1
            return generation
        }
        guard let next else { return }
        var error = vpcr_error()
        let status = value.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                hostServices!.pointee.submit_route_spec_json(context, text.baseAddress, UInt64(text.count), next, &error)
            }
        }
        let reason = error.text
        lock.withLock {
            if status == VPCR_OK { accepted += 1 } else { refused += 1; lastProblem = "mod revision \(modRevision): \(reason)" }
        }
        if status == VPCR_OK {
            log(VPCR_LOG_INFO, "etcd value submitted", [("etcd.mod_revision", String(modRevision)), ("spec.generation", String(next))])
        } else {
            log(VPCR_LOG_ERROR, "etcd value refused; the last good spec stays in force",
                [("etcd.mod_revision", String(modRevision)), ("reason", reason)])
        }
    }

    func reportInfo(to sink: OpaquePointer) {
        let (accepted, refused, reconnects, endpoint, revision, problem) = lock.withLock {
            (self.accepted, self.refused, self.reconnects, currentEndpoint, lastModRevision, lastProblem)
        }
        hostInfoAdd(sink, "params", "etcd_endpoints", endpoints.map(\.description).joined(separator: ","))
        hostInfoAdd(sink, "params", "etcd_key", key)
        hostInfoAdd(sink, "stats", "specs_accepted", String(accepted))
        hostInfoAdd(sink, "stats", "specs_refused", String(refused))
        hostInfoAdd(sink, "stats", "reconnects", String(reconnects))
        hostInfoAdd(sink, "stats", "connected_endpoint", endpoint?.description ?? "none")
        if revision > 0 { hostInfoAdd(sink, "stats", "mod_revision", String(revision)) }
        if !problem.isEmpty { hostInfoAdd(sink, "stats", "last_problem", problem) }
    }
}
