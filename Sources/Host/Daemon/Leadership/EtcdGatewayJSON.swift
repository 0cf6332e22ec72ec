import RouteModel

/// The etcd JSON gateway's bodies as the untyped trees `EtcdElectionClient` reads (`[String: Any]`,
/// `[Any]`, `String`, `Bool`, `Int64` for whole numbers, `Double` otherwise), through the host's
/// strict parser and serializer instead of Foundation's JSONSerialization.
enum EtcdGatewayJSON {
    /// The document when it is a JSON object; nil for anything else or malformed text.
    static func object(from bytes: [UInt8]) -> [String: Any]? {
        guard let document = try? StrictJSONParser.parse(bytes) else { return nil }
        return untyped(document) as? [String: Any]
    }

    /// Compact JSON text of a request built from dictionaries, arrays, strings, booleans and integers.
    static func bytes(of request: [String: Any]) -> [UInt8] {
        Array(typed(request).serialized().utf8)
    }

    private static func untyped(_ value: JSONValue) -> Any {
        switch value {
        case .null: return Null()
        case .bool(let flag): return flag
        case .number(let number):
            if number == number.rounded(), let whole = Int64(exactly: number) { return whole }
            return number
        case .string(let text): return text
        case .array(let items): return items.map(untyped)
        case .object(let members):
            return Dictionary(members.map { ($0.0, untyped($0.1)) }, uniquingKeysWith: { _, last in last })
        }
    }

    private static func typed(_ value: Any) -> JSONValue {
        switch value {
        case let flag as Bool: return .bool(flag)
        case let text as String: return .string(text)
        case let number as Int64: return .number(Double(number))
        case let number as Int: return .number(Double(number))
        case let number as Double: return .number(number)
        case let items as [Any]: return .array(items.map(typed))
        case let members as [String: Any]: return .object(members.sorted { $0.key < $1.key }.map { ($0.key, typed($0.value)) })
        default: return .null
        }
    }

    /// JSON null: present, but neither a string, a number nor a container.
    struct Null {}
}
