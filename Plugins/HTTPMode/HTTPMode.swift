// http: a mode plugin that takes route specs POSTed to the host's HTTP server.
//
//   vpcrouter -m http
//   curl --data @spec.json localhost:33289/route_spec
//
// POST /route_spec hands the body to the host's validator: 200 when accepted, 400 with the
// validator's reason when not (the previous spec stays), 415 for a declared type that cannot be
// JSON (XML, HTML, multipart, images...), 403 for a browser's cross-site form post.
// GET /route_spec returns the spec in force (404 before the first). Body size limits and bearer
// tokens for mutating requests are enforced by the host's server before a request gets here.
import Glibc
import PluginABI
import PluginKit
import Synchronization

private let plugin = PluginExport(
    kind: VPCR_KIND_MODE, name: "http", version: "1.0.0", summary: "route specs POSTed to /route_spec",
    create: HTTPMode.create)

/// The one instance: its host context and its counters. Handlers may run concurrently.
private final class HTTPMode: PluginInstance, @unchecked Sendable {
    let context: OpaquePointer?
    private struct Counters {
        var generation: UInt64 = 0
        var accepted = 0
        var refused = 0
    }
    private let counters = Mutex(Counters())

    init(context: OpaquePointer?) {
        self.context = context
    }

    func nextGeneration() -> UInt64 {
        counters.withLock {
            $0.generation += 1
            return $0.generation
        }
    }

    func count(accepted wasAccepted: Bool) {
        counters.withLock { if wasAccepted { $0.accepted += 1 } else { $0.refused += 1 } }
    }

    var counts: (accepted: Int, refused: Int) { counters.withLock { ($0.accepted, $0.refused) } }

    /// Registers the handlers. The host keeps them for the life of the process, so the instance
    /// they point at is kept too (one reference is never released).
    static func create(context: OpaquePointer?, options: OptionValues) -> Result<HTTPMode, PluginFailure> {
        let mode = HTTPMode(context: context)
        let pointer = Unmanaged.passRetained(mode).toOpaque()
        for (method, handler) in [("POST", postRouteSpec), ("GET", getRouteSpec)] {
            var error = vpcr_error()
            let status = hostServices!.pointee.http_register(context, method, "/route_spec", handler, pointer, &error)
            if status != VPCR_OK {
                Unmanaged<HTTPMode>.fromOpaque(pointer).release()
                return .failure(PluginFailure(code: status, message: error.text))
            }
        }
        return .success(mode)
    }

    func reportInfo(to sink: OpaquePointer) {
        let counts = self.counts
        hostInfoAdd(sink, "stats", "specs_accepted", String(counts.accepted))
        hostInfoAdd(sink, "stats", "specs_refused", String(counts.refused))
    }
}

private func respond(_ response: OpaquePointer?, _ status: Int32, _ fields: [(String, JSONText)]) {
    let body = "{" + fields.map { "\"\($0.0)\": \($0.1.text)" }.joined(separator: ", ") + "}\n"
    let bytes = Array(body.utf8)
    _ = bytes.withUnsafeBufferPointer { buffer in
        hostServices!.pointee.http_respond(response, status, "application/json", buffer.baseAddress, UInt64(buffer.count))
    }
}

/// A JSON value written by hand: the plugin's answers are tiny.
private struct JSONText {
    let text: String

    static func string(_ value: String) -> JSONText {
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default:
                if scalar.value < 0x20 {
                    let digits = String(scalar.value, radix: 16)
                    escaped += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return JSONText(text: "\"" + escaped + "\"")
    }

    static func number(_ value: UInt64) -> JSONText { JSONText(text: String(value)) }
}

private func header(_ request: UnsafePointer<vpcr_http_request>, _ name: String) -> String? {
    for index in 0..<Int(request.pointee.header_count) {
        let field = request.pointee.headers[index]
        if let key = field.key, String(cString: key) == name, let value = field.value { return String(cString: value) }
    }
    return nil
}

/// Which declared body types POST /route_spec takes. The body is what counts: anything that may
/// hold JSON goes to the validator (vpc-router was fed with `curl -d @spec.json`, which sends
/// application/x-www-form-urlencoded; text/plain and octet-stream are common too), and only types
/// that cannot be JSON are refused with 415. Form and plain-text posts are what a web page can
/// send cross-site without asking, so such a post from a browser (it carries Origin) is refused.
enum RouteSpecBodyType {
    static func isDeclaredJSON(_ type: String?) -> Bool {
        guard let type else { return false }
        return type == "application/json" || type.hasSuffix("+json")
    }

    static func isClearlyNotJSON(_ type: String) -> Bool {
        if isDeclaredJSON(type) { return false }
        let family = type.split(separator: "/").first.map(String.init) ?? type
        if ["multipart", "image", "audio", "video", "font", "model"].contains(family) { return true }
        return ["text/html", "text/xml", "application/xml", "text/csv", "application/pdf", "application/zip"].contains(type)
            || type.hasSuffix("+xml")
    }
}

/// Optional whitespace in HTTP headers is spaces and tabs.
private func withoutBlanks(_ text: Substring) -> Substring {
    let isBlank = { (character: Character) in character == " " || character == "\t" }
    guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) }) else { return "" }
    return text[first...last]
}

private let postRouteSpec: vpcr_http_handler_fn = { handlerContext, request, response in
    guard let handlerContext, let request else { return vpcr_status(VPCR_E_INVALID) }
    let mode = Unmanaged<HTTPMode>.fromOpaque(handlerContext).takeUnretainedValue()
    let type = header(request, "content-type")?.split(separator: ";").first.map(withoutBlanks)?.lowercased()
    if let type, RouteSpecBodyType.isClearlyNotJSON(type) {
        respond(response, 415, [("error", .string("the route spec must be JSON (application/json), not \(type)"))])
        return vpcr_status(VPCR_OK)
    }
    if header(request, "origin") != nil, !RouteSpecBodyType.isDeclaredJSON(type) {
        respond(response, 403, [("error", .string(
            "a cross-site browser form may not change the route spec; send it as application/json"))])
        return vpcr_status(VPCR_OK)
    }
    let generation = mode.nextGeneration()
    var error = vpcr_error()
    let status = request.pointee.body.withMemoryRebound(to: CChar.self, capacity: Int(request.pointee.body_length)) { body in
        hostServices!.pointee.submit_route_spec_json(mode.context, body, request.pointee.body_length, generation, &error)
    }
    mode.count(accepted: status == VPCR_OK)
    if status == VPCR_OK {
        respond(response, 200, [("status", .string("accepted")), ("generation", .number(generation))])
    } else {
        let message = error.text
        respond(response, 400, [("error", .string("route spec refused: \(message)")), ("status", .number(400))])
    }
    return vpcr_status(VPCR_OK)
}

private let getRouteSpec: vpcr_http_handler_fn = { handlerContext, _, response in
    guard let handlerContext else { return vpcr_status(VPCR_E_INVALID) }
    let mode = Unmanaged<HTTPMode>.fromOpaque(handlerContext).takeUnretainedValue()
    var needed: UInt64 = 0
    var error = vpcr_error()
    var buffer = [CChar](repeating: 0, count: 64 * 1024)
    var status = hostServices!.pointee.route_spec_json(mode.context, &buffer, UInt64(buffer.count), &needed, &error)
    if status == VPCR_E_INVALID && needed >= UInt64(buffer.count) {
        buffer = [CChar](repeating: 0, count: Int(needed) + 1)
        status = hostServices!.pointee.route_spec_json(mode.context, &buffer, UInt64(buffer.count), &needed, &error)
    }
    if status == VPCR_OK {
        let json = Array(buffer.prefix(Int(needed)).map { UInt8(bitPattern: $0) }) + [10]
        _ = json.withUnsafeBufferPointer { body in
            hostServices!.pointee.http_respond(response, 200, "application/json", body.baseAddress, UInt64(body.count))
        }
    } else {
        respond(response, 404, [("error", .string("no route spec has been accepted yet")), ("status", .number(404))])
    }
    return vpcr_status(VPCR_OK)
}

// The two exported symbols must be in this library itself; PluginKit does the work.
@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafeRawPointer { plugin.magic }
@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? { plugin.entry(host) }
