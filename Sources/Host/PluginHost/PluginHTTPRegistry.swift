import Glibc
import PluginABI
import Synchronization

/// HTTP handlers plugins registered on the host's server (the http mode's `/route_spec`).
public final class PluginHTTPRegistry: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: String
        public var headers: [(String, String)]
        public var body: [UInt8]

        public init(method: String, path: String, query: String = "", headers: [(String, String)] = [], body: [UInt8] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]
    }

    struct Route: @unchecked Sendable {
        let plugin: String
        let handler: vpcr_http_handler_fn
        let handlerContext: UnsafeMutableRawPointer?
    }

    private let routes = Mutex<[String: Route]>([:])
    /// Paths the host serves itself; plugins may not take them.
    private let reservedPaths: Set<String>

    public init(reservedPaths: Set<String> = []) {
        self.reservedPaths = reservedPaths
    }

    static func key(_ method: String, _ path: String) -> String { method.uppercased() + " " + path }

    func register(plugin: String, method: String, path: String, handler: @escaping vpcr_http_handler_fn,
                  context: UnsafeMutableRawPointer?) -> String? {
        let method = method.uppercased()
        guard ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(method) else { return "method '\(method)' is not supported" }
        guard path.hasPrefix("/"), path.count <= 256, !path.contains("?"), !path.contains(" ") else {
            return "path '\(path)' must start with '/' and hold no query or spaces"
        }
        guard !reservedPaths.contains(path) else { return "path \(path) is served by the host itself" }
        return routes.withLock { routes in
            if let existing = routes[Self.key(method, path)] {
                return "\(method) \(path) is already registered by plugin '\(existing.plugin)'"
            }
            routes[Self.key(method, path)] = Route(plugin: plugin, handler: handler, handlerContext: context)
            return nil
        }
    }

    /// The methods registered for a path (for 405 answers).
    public func methods(for path: String) -> [String] {
        routes.withLock { routes in routes.keys.filter { $0.hasSuffix(" " + path) }.map { String($0.split(separator: " ")[0]) }.sorted() }
    }

    public var registeredPaths: [String] {
        routes.withLock { routes in routes.keys.sorted() }
    }

    /// Runs the plugin's handler for a request, or returns nil when no plugin serves it.
    public func handle(_ request: Request) -> Response? {
        guard let route = routes.withLock({ $0[Self.key(request.method, request.path)] }) else { return nil }
        let box = ResponseBox()
        let cStrings = ([request.method, request.path, request.query] as [String]).map { strdup($0) }
        let headerStrings = request.headers.map { (strdup($0.0.lowercased()), strdup($0.1)) }
        defer {
            cStrings.forEach { free($0) }
            headerStrings.forEach { free($0.0); free($0.1) }
        }
        let fields = headerStrings.map { vpcr_field(key: $0.0, value: $0.1) }
        let status = fields.withUnsafeBufferPointer { headerBuffer in
            request.body.withUnsafeBufferPointer { bodyBuffer in
                var cRequest = vpcr_http_request(
                    struct_size: UInt32(MemoryLayout<vpcr_http_request>.size), header_count: UInt32(headerBuffer.count),
                    method: cStrings[0], path: cStrings[1], query: cStrings[2], headers: headerBuffer.baseAddress,
                    body: bodyBuffer.baseAddress, body_length: UInt64(bodyBuffer.count))
                return withExtendedLifetime(box) {
                    route.handler(route.handlerContext, &cRequest, OpaquePointer(Unmanaged.passUnretained(box).toOpaque()))
                }
            }
        }
        if let response = box.response { return response }
        let message = "{\"error\": \"plugin \(route.plugin) did not answer (status \(status))\"}"
        return Response(status: 500, contentType: "application/json", body: Array(message.utf8))
    }

    /// Where `http_respond` writes the plugin's answer.
    final class ResponseBox {
        var response: Response?
    }
}
