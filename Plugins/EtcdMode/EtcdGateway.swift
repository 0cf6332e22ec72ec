import Foundation

/// What a key holds at a revision of the store.
struct KeyValue {
    /// The store's revision when it was read.
    let revision: Int64
    /// The value and its mod revision, or nil when the key does not exist.
    let value: [UInt8]?
    let modRevision: Int64
}

/// A change to the watched key.
enum KeyEvent {
    case put(value: [UInt8], modRevision: Int64)
    case delete(modRevision: Int64)
}

/// The two calls of etcd's v3 JSON gateway this plugin needs: a range read and a watch stream.
/// Keys and values travel base64-encoded; 64-bit numbers arrive as JSON strings.
struct EtcdGateway {
    let endpoint: EtcdEndpoint
    let stopDescriptor: Int32
    let requestTimeout: Double

    func read(_ key: String) throws(GatewayError) -> KeyValue {
        let connection = try GatewayConnection.open(endpoint, stopDescriptor: stopDescriptor, timeout: requestTimeout)
        let deadline = Deadline(after: requestTimeout)
        try connection.post("/v3/kv/range", host: endpoint.host, body: Self.json(["key": Self.base64(key)]), until: deadline)
        let answer = try connection.readAnswer(until: deadline)
        let object = try Self.object(answer.body, status: answer.status)
        guard let header = object["header"] as? [String: Any], let revision = Self.integer(header["revision"]) else {
            throw GatewayError("range answer without a revision")
        }
        guard let kv = (object["kvs"] as? [[String: Any]])?.first else {
            return KeyValue(revision: revision, value: nil, modRevision: 0)
        }
        return KeyValue(revision: revision, value: Self.decode(kv["value"]), modRevision: Self.integer(kv["mod_revision"]) ?? revision)
    }

    /// Streams the key's changes after `revision` to `onEvent` until the stream ends, goes quiet
    /// for `idleTimeout`, or `onEvent` returns false. Throws on every way the watch can fail.
    func watch(_ key: String, after revision: Int64, idleTimeout: Double, onEvent: (KeyEvent) -> Bool) throws(GatewayError) {
        let connection = try GatewayConnection.open(endpoint, stopDescriptor: stopDescriptor, timeout: requestTimeout)
        let request: [String: Any] = ["create_request": ["key": Self.base64(key), "start_revision": String(revision + 1)]]
        try connection.post("/v3/watch", host: endpoint.host, body: Self.json(request), until: Deadline(after: requestTimeout))
        var failure: GatewayError?
        _ = try connection.streamLines(idleTimeout: idleTimeout) { line in
            guard let message = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                failure = GatewayError("unreadable watch message: \(String(decoding: line.prefix(200), as: UTF8.self))")
                return false
            }
            if let error = message["error"] as? [String: Any] {
                failure = GatewayError("watch failed: \(error["message"] ?? error)")
                return false
            }
            guard let result = message["result"] as? [String: Any] else { return true }
            if result["canceled"] as? Bool == true {
                // Typically the start revision was compacted away: read afresh.
                failure = GatewayError("watch cancelled by etcd: \(result["cancel_reason"] ?? "compacted to \(result["compact_revision"] ?? "?")")")
                return false
            }
            for event in result["events"] as? [[String: Any]] ?? [] {
                let kv = event["kv"] as? [String: Any] ?? [:]
                let modRevision = Self.integer(kv["mod_revision"]) ?? 0
                let keyEvent: KeyEvent = (event["type"] as? String) == "DELETE"
                    ? .delete(modRevision: modRevision)
                    : .put(value: Self.decode(kv["value"]) ?? [], modRevision: modRevision)
                if !onEvent(keyEvent) { return false }
            }
            return true
        }
        if let failure { throw failure }
        throw GatewayError("the watch stream ended")
    }

    // MARK: - JSON

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func json(_ object: [String: Any]) -> [UInt8] {
        [UInt8]((try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8))
    }

    static func object(_ body: [UInt8], status: Int) throws(GatewayError) -> [String: Any] {
        let parsed = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        guard status == 200, let parsed else {
            throw GatewayError("HTTP \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return parsed
    }

    static func integer(_ value: Any?) -> Int64? {
        if let text = value as? String { return Int64(text) }
        if let number = value as? NSNumber { return number.int64Value }
        return nil
    }

    /// A base64 value; an absent field is an empty value (the gateway omits empty bytes).
    static func decode(_ value: Any?) -> [UInt8]? {
        guard let text = value as? String else { return [] }
        return Data(base64Encoded: text).map { [UInt8]($0) }
    }
}
