import FoundationEssentials

/// The JSON shapes of etcd's v3 gateway (grpc-gateway): field names as in the protobuf, bytes in
/// base64, 64-bit integers as strings (numbers accepted too), and zero values left out.
enum GatewayJSON {
    /// A 64-bit integer sent as a string, or as a number by older gateways.
    struct Integer: Codable, Sendable {
        let value: Int64

        init(_ value: Int64) { self.value = value }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self), let number = Int64(text) {
                value = number
            } else {
                value = try container.decode(Int64.self)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(String(value))
        }
    }

    struct Header: Decodable {
        let revision: Integer?
    }

    struct KeyValue: Decodable {
        let key: String?
        let value: String?
        let mod_revision: Integer?
        let create_revision: Integer?
        let lease: Integer?

        func decoded() throws(EtcdError) -> EtcdKeyValue {
            EtcdKeyValue(
                key: String(decoding: try GatewayJSON.bytes(key), as: UTF8.self), value: try GatewayJSON.bytes(value),
                modRevision: mod_revision?.value ?? 0, createRevision: create_revision?.value ?? 0, lease: lease?.value ?? 0)
        }
    }

    struct RangeResponse: Decodable {
        let header: Header?
        let kvs: [KeyValue]?
    }

    struct PutResponse: Decodable {
        let header: Header?
    }

    struct LeaseGrantResponse: Decodable {
        let ID: Integer?
        let TTL: Integer?
        let error: String?
    }

    struct LeaseKeepAliveResponse: Decodable {
        struct Result: Decodable { let TTL: Integer? }
        let result: Result?
    }

    struct TxnResponse: Decodable {
        struct Response: Decodable { let response_range: RangeResponse? }
        let succeeded: Bool?
        let responses: [Response]?
    }

    /// One line of the watch stream: a result, or an error from the gateway.
    struct WatchMessage: Decodable {
        struct Result: Decodable {
            struct Event: Decodable {
                let type: String?
                let kv: KeyValue?
            }
            let created: Bool?
            let canceled: Bool?
            let cancel_reason: String?
            let compact_revision: Integer?
            let events: [Event]?
        }
        struct Failure: Decodable {
            let message: String?
        }
        let result: Result?
        let error: Failure?
    }

    /// The body of an error answer.
    struct ErrorAnswer: Decodable {
        let error: String?
        let message: String?
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A base64 field; absent means empty (the gateway leaves out empty bytes).
    static func bytes(_ field: String?) throws(EtcdError) -> [UInt8] {
        guard let field else { return [] }
        guard let data = Data(base64Encoded: field) else { throw EtcdError(.malformed, "a value is not base64: \(field.prefix(80))") }
        return [UInt8](data)
    }
}

// MARK: - Requests

extension GatewayJSON {
    struct KeyRequest: Encodable {
        let key: String
    }

    struct PutRequest: Encodable {
        let key: String
        let value: String
        let lease: Integer?
    }

    struct LeaseGrantRequest: Encodable {
        let TTL: Integer
    }

    struct LeaseRequest: Encodable {
        let ID: Integer
    }

    struct TxnRequest: Encodable {
        struct Compare: Encodable {
            let key: String
            let target: String
            let result: String
            let create_revision: Integer
        }
        struct Operation: Encodable {
            var request_put: PutRequest?
            var request_range: KeyRequest?
        }
        let compare: [Compare]
        let success: [Operation]
        let failure: [Operation]
    }

    struct WatchRequest: Encodable {
        struct Create: Encodable {
            let key: String
            let start_revision: Integer
        }
        let create_request: Create
    }
}
