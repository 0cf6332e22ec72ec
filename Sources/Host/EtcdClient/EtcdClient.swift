import FoundationEssentials
import HTTPClient

/// An etcd v3 client over the JSON gateway on the client port (plain HTTP, no gRPC): reads,
/// writes, leases, a create-if-absent transaction and watches. A call that cannot reach one
/// endpoint is tried on the next; an answer in which etcd says no is final.
///
/// Used by the daemon's leader election and, through its own static copy, by the etcd mode plugin.
public struct EtcdClient: Sendable {
    public let endpoints: [URL]
    /// Whole-request timeout of every call but a watch (which has an idle timeout instead).
    public let requestTimeout: Duration
    let transport: CurlTransport

    /// Largest answer or watch message accepted; a route spec is far smaller.
    static let maxAnswerBytes = 4 << 20

    /// A client with a transport of its own, which keeps a couple of connections for reuse.
    public init(endpoints: [URL], requestTimeout: Duration) {
        self.init(endpoints: endpoints, requestTimeout: requestTimeout, transport: CurlTransport(configuration: .init(
            connectTimeout: requestTimeout, idleTimeout: requestTimeout, requestTimeout: requestTimeout,
            maxResponseBytes: Self.maxAnswerBytes, maxCachedConnections: 4)))
    }

    /// A client over a transport shared with other clients (its connections and thread are shared too).
    public init(endpoints: [URL], requestTimeout: Duration, transport: CurlTransport) {
        self.endpoints = endpoints
        self.requestTimeout = requestTimeout
        self.transport = transport
    }

    // MARK: Keys

    /// The key's value and the store's revision, read at one point in time.
    public func get(_ key: String) async throws(EtcdError) -> EtcdRead {
        let answer = try await call("/v3/kv/range", GatewayJSON.KeyRequest(key: GatewayJSON.base64(key)), as: GatewayJSON.RangeResponse.self)
        guard let revision = answer.header?.revision?.value else { throw EtcdError(.malformed, "/v3/kv/range: an answer without a revision") }
        return EtcdRead(revision: revision, keyValue: try answer.kvs?.first?.decoded())
    }

    /// Writes the key (bound to `lease` when given); the store's revision after the write.
    @discardableResult
    public func put(_ key: String, value: [UInt8], lease: EtcdLease? = nil) async throws(EtcdError) -> Int64 {
        let request = GatewayJSON.PutRequest(
            key: GatewayJSON.base64(key), value: Data(value).base64EncodedString(), lease: lease.map { GatewayJSON.Integer($0.id) })
        let answer = try await call("/v3/kv/put", request, as: GatewayJSON.PutResponse.self)
        return answer.header?.revision?.value ?? 0
    }

    /// Deletes the key; the store's revision after the delete.
    @discardableResult
    public func delete(_ key: String) async throws(EtcdError) -> Int64 {
        let answer = try await call("/v3/kv/deleterange", GatewayJSON.KeyRequest(key: GatewayJSON.base64(key)), as: GatewayJSON.PutResponse.self)
        return answer.header?.revision?.value ?? 0
    }

    /// Writes `key` = `value` bound to the lease unless the key exists (create revision 0);
    /// otherwise says what it holds.
    public func createIfAbsent(_ key: String, value: [UInt8], lease: EtcdLease) async throws(EtcdError) -> EtcdCreateOutcome {
        let encodedKey = GatewayJSON.base64(key)
        let put = GatewayJSON.PutRequest(key: encodedKey, value: Data(value).base64EncodedString(), lease: GatewayJSON.Integer(lease.id))
        let request = GatewayJSON.TxnRequest(
            compare: [.init(key: encodedKey, target: "CREATE", result: "EQUAL", create_revision: GatewayJSON.Integer(0))],
            success: [.init(request_put: put)], failure: [.init(request_range: GatewayJSON.KeyRequest(key: encodedKey))])
        let answer = try await call("/v3/kv/txn", request, as: GatewayJSON.TxnResponse.self)
        if answer.succeeded == true { return .created }
        return .exists(try answer.responses?.first?.response_range?.kvs?.first?.decoded())
    }

    // MARK: Leases

    public func grantLease(ttl: Duration) async throws(EtcdError) -> EtcdLease {
        let answer = try await call(
            "/v3/lease/grant", GatewayJSON.LeaseGrantRequest(TTL: GatewayJSON.Integer(ttl.components.seconds)), as: GatewayJSON.LeaseGrantResponse.self)
        if let error = answer.error, !error.isEmpty { throw EtcdError(.refused, "/v3/lease/grant: \(error)") }
        guard let id = answer.ID?.value, let granted = answer.TTL?.value, granted > 0 else {
            throw EtcdError(.malformed, "/v3/lease/grant: an answer without an id and TTL")
        }
        return EtcdLease(id: id, ttl: .seconds(granted))
    }

    /// Renews the lease once; the TTL etcd answered, or zero when the lease no longer exists.
    public func keepAlive(_ lease: EtcdLease) async throws(EtcdError) -> Duration {
        let answer = try await call(
            "/v3/lease/keepalive", GatewayJSON.LeaseRequest(ID: GatewayJSON.Integer(lease.id)), as: GatewayJSON.LeaseKeepAliveResponse.self)
        return .seconds(answer.result?.TTL?.value ?? 0)
    }

    /// Ends the lease, which deletes every key bound to it at once.
    public func revoke(_ lease: EtcdLease) async throws(EtcdError) {
        _ = try await call("/v3/lease/revoke", GatewayJSON.LeaseRequest(ID: GatewayJSON.Integer(lease.id)), as: GatewayJSON.PutResponse.self)
    }

    // MARK: Watch

    /// Opens a watch on `key` from the revision after `revision`; its changes arrive in batches.
    /// The watch ends with an error, never quietly: `.timedOut` after `idleTimeout` of silence (a
    /// hung or partitioned member keeps the connection open), `.watchCancelled` when etcd ends it
    /// (a compacted start revision), `.unreachable` when the stream breaks or closes.
    public func watch(_ key: String, afterRevision revision: Int64, idleTimeout: Duration) async throws(EtcdError) -> EtcdWatch {
        let body = Self.encode(GatewayJSON.WatchRequest(create_request: .init(key: GatewayJSON.base64(key), start_revision: GatewayJSON.Integer(revision + 1))))
        var problems: [String] = []
        var allTimedOut = true
        for endpoint in endpoints {
            let request = HTTPRequest(
                method: "POST", url: Self.url(endpoint, "/v3/watch"), headers: [("Content-Type", "application/json")], body: body,
                timeout: requestTimeout)
            do {
                let stream = try await transport.streamLines(
                    request, limits: .init(idleTimeout: idleTimeout, maxLineBytes: Self.maxAnswerBytes, maxBufferedLines: 256))
                if stream.status == 200 { return EtcdWatch(stream: stream) }
                var text: [UInt8] = []
                for try await line in stream.lines where text.count < 300 { text += line }
                let message = String(decoding: text.prefix(300), as: UTF8.self)
                if stream.status < 500 { throw EtcdError(.refused, "/v3/watch: HTTP \(stream.status) \(message)") }
                allTimedOut = false
                problems.append("\(endpoint.absoluteString): HTTP \(stream.status) \(message)")
            } catch let error as EtcdError {
                throw error
            } catch is CancellationError {
                throw EtcdError(.cancelled, "/v3/watch: cancelled")
            } catch {
                if (error as? TransportError)?.code != .timedOut { allTimedOut = false }
                problems.append("\(endpoint.absoluteString): \(error)")
            }
        }
        throw EtcdError(allTimedOut && !problems.isEmpty ? .timedOut : .unreachable, "/v3/watch: " + problems.joined(separator: "; "))
    }

    // MARK: Calls

    /// POSTs to each endpoint in turn until one answers 200 with the expected JSON.
    func call<Answer: Decodable>(_ path: String, _ request: some Encodable, as answer: Answer.Type) async throws(EtcdError) -> Answer {
        let body = Self.encode(request)
        var problems: [String] = []
        var allTimedOut = true
        for endpoint in endpoints {
            do {
                let response = try await transport.send(HTTPRequest(
                    method: "POST", url: Self.url(endpoint, path), headers: [("Content-Type", "application/json")], body: body,
                    timeout: requestTimeout))
                if response.status == 200, let decoded = try? JSONDecoder().decode(Answer.self, from: Data(response.body)) { return decoded }
                let refusal = try? JSONDecoder().decode(GatewayJSON.ErrorAnswer.self, from: Data(response.body))
                let message = refusal?.message ?? refusal?.error ?? String(decoding: response.body.prefix(200), as: UTF8.self)
                // An etcd error (lease not found, ...) is an answer, not an unreachable endpoint.
                if response.status < 500, let refusal, refusal.message != nil || refusal.error != nil {
                    throw EtcdError(.refused, "\(path): \(message)")
                }
                allTimedOut = false
                problems.append("\(endpoint.absoluteString): HTTP \(response.status) \(message)")
            } catch let error as EtcdError {
                throw error
            } catch is CancellationError {
                throw EtcdError(.cancelled, "\(path): cancelled")
            } catch {
                if (error as? TransportError)?.code != .timedOut { allTimedOut = false }
                problems.append("\(endpoint.absoluteString): \(error)")
            }
        }
        throw EtcdError(allTimedOut && !problems.isEmpty ? .timedOut : .unreachable, "\(path): " + problems.joined(separator: "; "))
    }

    static func url(_ endpoint: URL, _ path: String) -> URL {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: base + path) ?? endpoint
    }

    static func encode(_ request: some Encodable) -> [UInt8] {
        // These request types hold only strings and integers: encoding cannot fail.
        (try? JSONEncoder().encode(request)).map { [UInt8]($0) } ?? Array("{}".utf8)
    }
}
