import FoundationEssentials
import HTTPClient

/// The etcd calls leader election needs, over the v3 JSON gateway (plain HTTP, base64 keys,
/// 64-bit numbers as strings): lease grant, keepalive and revoke, a create-if-absent transaction
/// and a read of the key. A call that fails on one endpoint is tried on the next.
struct EtcdElectionClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A granted lease: its id and the TTL etcd applied (it may raise a small one).
    struct Lease: Sendable {
        let id: String
        let ttl: Duration
    }

    enum Campaign: Sendable {
        case won
        case heldBy(String)
    }

    let endpoints: [URL]
    let transport: any HTTPTransport
    let requestTimeout: Duration

    init(endpoints: [URL], requestTimeout: Duration) {
        self.endpoints = endpoints
        self.requestTimeout = requestTimeout
        // Election answers are a few hundred bytes; a connection is kept for the next renewal.
        transport = CurlTransport(configuration: CurlTransport.Configuration(
            connectTimeout: requestTimeout, idleTimeout: requestTimeout, requestTimeout: requestTimeout,
            maxResponseBytes: 1 << 20, maxCachedConnections: 2))
    }

    func grant(ttl: Duration) async throws(Failure) -> Lease {
        let answer = try await call("/v3/lease/grant", ["TTL": ttl.components.seconds])
        guard let id = answer["ID"] as? String, let granted = Self.integer(answer["TTL"]), granted > 0 else {
            throw Failure(description: "lease grant answered without an id and TTL: \(answer)")
        }
        return Lease(id: id, ttl: .seconds(granted))
    }

    /// Creates `key` = `value` bound to the lease unless the key exists; otherwise says who holds it.
    func campaign(key: String, value: String, lease: Lease) async throws(Failure) -> Campaign {
        let encodedKey = Self.base64(key)
        let answer = try await call("/v3/kv/txn", [
            "compare": [["key": encodedKey, "target": "CREATE", "result": "EQUAL", "create_revision": "0"]],
            "success": [["request_put": ["key": encodedKey, "value": Self.base64(value), "lease": lease.id]]],
            "failure": [["request_range": ["key": encodedKey]]],
        ])
        if answer["succeeded"] as? Bool == true { return .won }
        let responses = answer["responses"] as? [[String: Any]] ?? []
        let range = responses.first?["response_range"] as? [String: Any]
        let holder = ((range?["kvs"] as? [[String: Any]])?.first?["value"] as? String).flatMap(Self.decode) ?? "(unknown)"
        return .heldBy(holder)
    }

    /// Renews the lease once; the TTL etcd answered, or zero when the lease no longer exists.
    func keepAlive(_ lease: Lease) async throws(Failure) -> Duration {
        let answer = try await call("/v3/lease/keepalive", ["ID": lease.id])
        let result = answer["result"] as? [String: Any] ?? [:]
        return .seconds(Self.integer(result["TTL"]) ?? 0)
    }

    /// Ends the lease, which deletes the leader key at once.
    func revoke(_ lease: Lease) async throws(Failure) {
        _ = try await call("/v3/lease/revoke", ["ID": lease.id])
    }

    /// The value of `key`, or nil when nobody holds it.
    func holder(of key: String) async throws(Failure) -> String? {
        let answer = try await call("/v3/kv/range", ["key": Self.base64(key)])
        guard let kv = (answer["kvs"] as? [[String: Any]])?.first else { return nil }
        return (kv["value"] as? String).flatMap(Self.decode) ?? ""
    }

    /// POSTs to each endpoint in turn until one answers 200 with a JSON object.
    func call(_ path: String, _ request: [String: Any]) async throws(Failure) -> [String: Any] {
        let body = EtcdGatewayJSON.bytes(of: request)
        var problems: [String] = []
        for endpoint in endpoints {
            let url = endpoint.appendingPathComponent(String(path.dropFirst()))
            do {
                let response = try await transport.send(HTTPRequest(
                    method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body))
                let object = EtcdGatewayJSON.object(from: response.body)
                if response.status == 200, let object { return object }
                let message = (object?["message"] as? String) ?? response.bodyText.prefix(200).description
                // An etcd error (lease not found, ...) is an answer, not an unreachable endpoint.
                if response.status < 500, object != nil { throw Failure(description: "\(path): \(message)") }
                problems.append("\(endpoint): HTTP \(response.status) \(message)")
            } catch let failure as Failure {
                throw failure
            } catch is CancellationError {
                throw Failure(description: "\(path): cancelled")
            } catch {
                problems.append("\(endpoint): \(error)")
            }
        }
        throw Failure(description: "\(path): " + problems.joined(separator: "; "))
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func decode(_ base64: String) -> String? {
        Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }

    static func integer(_ value: Any?) -> Int64? {
        if let text = value as? String { return Int64(text) }
        if let number = value as? Int64 { return number }
        if let number = value as? Double, let whole = Int64(exactly: number.rounded(.towardZero)) { return whole }
        return nil
    }
}
