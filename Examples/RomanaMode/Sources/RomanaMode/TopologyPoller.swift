import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PluginABI

/// Reads the topology key through etcd's v3 JSON gateway every `interval` seconds on its own
/// thread and submits the translated spec whenever the key's mod revision changes. Polling a
/// range read is the simplest thing that survives every etcd outage and restart: each round is
/// one short request with a timeout, and a request is never cancelled (cancelling URLSession
/// tasks is unsafe on Linux).
final class TopologyPoller: @unchecked Sendable {
    static let topologyKey = "/romana/ipam/data"

    let context: OpaquePointer?
    let address: String
    let port: Int
    let interval: Double

    private let lock = NSLock()
    private var running = false
    private var lastModRevision: Int64 = 0
    private var generation: UInt64 = 0
    private var accepted = 0
    private var refused = 0
    private var reachable: Bool?
    private var lastProblem = ""
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let session: URLSession

    init(context: OpaquePointer?, address: String, port: Int, interval: Double) {
        self.context = context
        self.address = address
        self.port = port
        self.interval = interval
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 2
        configuration.timeoutIntervalForResource = 2
        session = URLSession(configuration: configuration)
    }

    func log(_ level: vpcr_log_level, _ message: String, _ fields: [(String, String)] = []) {
        let all = [("etcd.key", Self.topologyKey)] + fields
        let keys = all.map { strdup($0.0) }
        let values = all.map { strdup($0.1) }
        defer { keys.forEach { free($0) }; values.forEach { free($0) } }
        let cFields = zip(keys, values).map { vpcr_field(key: $0.0, value: $0.1) }
        cFields.withUnsafeBufferPointer { buffer in
            host?.pointee.log(context, level, message, buffer.baseAddress, UInt32(buffer.count))
        }
    }

    func start() {
        lock.withLock { running = true }
        log(VPCR_LOG_INFO, "Romana watcher plugin: starting to watch for topology updates",
            [("etcd.endpoint", "http://\(address):\(port)")])
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                poll()
                _ = wake.wait(timeout: .now() + interval)
            }
            finished.signal()
        }
        thread.name = "romana"
        thread.start()
    }

    func stop(deadlineNanoseconds: UInt64, now: UInt64) {
        let wasRunning = lock.withLock { () -> Bool in
            defer { running = false }
            return running
        }
        guard wasRunning else { return }
        wake.signal()
        let wait = deadlineNanoseconds > now ? Int(min(deadlineNanoseconds - now, 10_000_000_000)) : 0
        if finished.wait(timeout: .now() + .nanoseconds(wait)) == .timedOut {
            log(VPCR_LOG_WARNING, "Romana watcher plugin: poller did not stop by the deadline")
        }
    }

    /// One round: read the key; submit its translation when its revision is new.
    private func poll() {
        let read: (revision: Int64, value: [UInt8]?)
        do {
            read = try readKey()
        } catch {
            let first = lock.withLock { () -> Bool in
                defer { reachable = false; lastProblem = error.description }
                return reachable != false
            }
            if first { log(VPCR_LOG_ERROR, "Cannot load Romana topology data; the last good spec stays in force", [("reason", error.description)]) }
            return
        }
        let recovered = lock.withLock { () -> Bool in
            defer { reachable = true }
            return reachable == false
        }
        if recovered { log(VPCR_LOG_NOTICE, "Romana watcher plugin: etcd reachable again") }
        guard let value = read.value else {
            if lock.withLock({ lastModRevision }) != -1 {
                lock.withLock { lastModRevision = -1 }
                log(VPCR_LOG_WARNING, "Romana topology key does not exist; the last good spec stays in force")
            }
            return
        }
        guard lock.withLock({ read.revision != lastModRevision }) else { return }
        lock.withLock { lastModRevision = read.revision }
        log(VPCR_LOG_INFO, "Romana watcher plugin: detected topology change", [("etcd.mod_revision", String(read.revision))])
        submit(value, modRevision: read.revision)
    }

    private func submit(_ document: [UInt8], modRevision: Int64) {
        let topology: RomanaTopology
        do {
            topology = try RomanaTopology(json: document)
        } catch {
            refuse("the topology cannot be read: \(error.description)", modRevision: modRevision)
            return
        }
        guard !topology.routes.isEmpty else {
            refuse("no host group has both a cidr and hosts", modRevision: modRevision)
            return
        }
        let json = topology.routeSpecJSON
        let next = lock.withLock { () -> UInt64 in
            generation += 1
            return generation
        }
        var error = vpcr_error()
        let status = json.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                host!.pointee.submit_route_spec_json(context, text.baseAddress, UInt64(text.count), next, &error)
            }
        }
        if status == VPCR_OK {
            lock.withLock { accepted += 1 }
            log(VPCR_LOG_INFO, "Romana watcher plugin: route spec submitted",
                [("etcd.mod_revision", String(modRevision)), ("routes", topology.routes.map(\.cidr).joined(separator: ","))])
        } else {
            let reason = withUnsafeBytes(of: &error.message) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            refuse(reason, modRevision: modRevision)
        }
    }

    private func refuse(_ reason: String, modRevision: Int64) {
        lock.withLock {
            refused += 1
            lastProblem = "mod revision \(modRevision): \(reason)"
        }
        log(VPCR_LOG_ERROR, "Romana topology refused; the last good spec stays in force",
            [("etcd.mod_revision", String(modRevision)), ("reason", reason)])
    }

    /// POST /v3/kv/range; the key's mod revision and value, or a nil value when it is absent.
    private func readKey() throws(PollError) -> (revision: Int64, value: [UInt8]?) {
        var request = URLRequest(url: URL(string: "http://\(address):\(port)/v3/kv/range")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try? JSONSerialization.data(withJSONObject: ["key": Data(Self.topologyKey.utf8).base64EncodedString()])
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var answer: (Data?, URLResponse?, Error?)
        session.dataTask(with: request) { data, response, error in
            answer = (data, response, error)
            done.signal()
        }.resume()
        done.wait()  // bounded by the session's 2 s timeouts
        if let error = answer.2 { throw PollError(description: "etcd at \(address):\(port): \(error.localizedDescription)") }
        let status = (answer.1 as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200, let data = answer.0,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PollError(description: "etcd at \(address):\(port) answered HTTP \(status)")
        }
        guard let kv = (object["kvs"] as? [[String: Any]])?.first else { return (0, nil) }
        let revision = (kv["mod_revision"] as? String).flatMap { Int64($0) } ?? 0
        let value = (kv["value"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
        return (revision, value)
    }

    func report(_ sink: OpaquePointer?) {
        let (accepted, refused, revision, problem) = lock.withLock { (self.accepted, self.refused, lastModRevision, lastProblem) }
        host?.pointee.info_add(sink, "params", "etcd_addr", address)
        host?.pointee.info_add(sink, "params", "etcd_port", String(port))
        host?.pointee.info_add(sink, "stats", "specs_accepted", String(accepted))
        host?.pointee.info_add(sink, "stats", "specs_refused", String(refused))
        if revision > 0 { host?.pointee.info_add(sink, "stats", "mod_revision", String(revision)) }
        if !problem.isEmpty { host?.pointee.info_add(sink, "stats", "last_problem", problem) }
    }
}

struct PollError: Error, CustomStringConvertible {
    let description: String
}
