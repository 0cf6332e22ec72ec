import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PluginHost
import RouteModel

/// The built-in HTTP server: the original's status pages, `/metrics`, `/healthz`, `/readyz`, and
/// the handlers plugins registered (the http mode's `/route_spec`), all on one address and port.
public struct StatusServer: Sendable {
    public let configuration: HTTPServerConfiguration
    let source: any StatusSource
    let plugins: PluginHTTPRegistry
    let logger: Logger

    static let statusPages: [String: String] = [
        "/": "overview", "/ips": "ips", "/plugins": "plugins", "/route_info": "route_info", "/vpc": "vpc",
    ]
    /// Paths the host serves itself; plugins cannot register them.
    public static let reservedPaths: Set<String> = Set(statusPages.keys).union(["/metrics", "/healthz", "/readyz"])
        .union(DashboardAssets.files.keys)

    public init(configuration: HTTPServerConfiguration, source: any StatusSource, plugins: PluginHTTPRegistry, logger: Logger) {
        self.configuration = configuration
        self.source = source
        self.plugins = plugins
        self.logger = logger
    }

    /// The Hummingbird application, to run as a service. `onRunning` fires once the socket is bound.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let server = self
        return Application(
            responder: CallbackResponder { (request: Request, _: BasicRequestContext) in await server.respond(to: request) },
            server: .http1(configuration: configuration.http1),
            configuration: .init(address: .hostname(configuration.bindAddress, port: configuration.port), serverName: "vpcrouter"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Answers one request. Never throws: every problem becomes a JSON error with its status.
    public func respond(to request: Request) async -> Response {
        var request = request
        let path = request.uri.path
        let method = request.method.rawValue
        if Self.statusPages[path] != nil || ["/metrics", "/healthz", "/readyz"].contains(path) {
            guard request.method == .get || request.method == .head else {
                return Self.error(.methodNotAllowed, "\(method) is not allowed on \(path)", allow: "GET, HEAD")
            }
            return builtIn(path: path, accept: request.headers[.accept])
        }
        if let asset = DashboardAssets.files[path] {
            guard request.method == .get || request.method == .head else {
                return Self.error(.methodNotAllowed, "\(method) is not allowed on \(path)", allow: "GET, HEAD")
            }
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: asset.body)))
            response.headers[.contentType] = asset.contentType
            response.headers[.cacheControl] = "no-cache"
            return response
        }
        let allowed = plugins.methods(for: path)
        guard !allowed.isEmpty else { return Self.error(.notFound, "no such resource: \(path)") }
        guard allowed.contains(method) else {
            return Self.error(.methodNotAllowed, "\(method) is not allowed on \(path)", allow: allowed.joined(separator: ", "))
        }
        if ["POST", "PUT", "PATCH", "DELETE"].contains(method), let token = configuration.bearerToken,
           !BearerToken.matches(request.headers[.authorization], expected: token) {
            var response = Self.error(.unauthorized, "this request needs a valid bearer token")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maximumBodyBytes)
        } catch is NIOTooManyBytesError {
            return Self.error(.contentTooLarge, "the request body exceeds \(configuration.maximumBodyBytes) bytes")
        } catch {
            // A body that breaks off or is badly framed (a bad chunk size): not a size problem.
            return Self.error(.badRequest, "the request body cannot be read: \(error)")
        }
        var headers: [(String, String)] = []
        for field in request.headers { headers.append((field.name.canonicalName, field.value)) }
        let pluginRequest = PluginHTTPRegistry.Request(
            method: method, path: path, query: request.uri.query ?? "", headers: headers, body: Array(buffer: body))
        // Plugin handlers are blocking C calls; keep them off the event loop's threads.
        let answer = await Task.detached { plugins.handle(pluginRequest) }.value
        guard let answer else { return Self.error(.notFound, "no such resource: \(path)") }
        var response = Response(status: HTTPResponse.Status(code: answer.status), body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        response.headers[.contentType] = answer.contentType
        return response
    }

    func builtIn(path: String, accept: String?) -> Response {
        switch path {
        case "/healthz":
            return Self.json(.ok, .object([("status", .string("alive"))]))
        case "/readyz":
            let gaps = source.readinessGaps()
            return Self.json(gaps.isEmpty ? .ok : .serviceUnavailable, .object([
                ("ready", .bool(gaps.isEmpty)), ("waiting_for", .array(gaps.map(JSONValue.string))),
            ]))
        case "/metrics":
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: source.metrics())))
            response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return response
        default:
            break
        }
        guard let rendering = StatusRendering.choose(accept: accept) else {
            return Self.error(.notAcceptable, "cannot render \(path) as \(accept ?? ""); ask for application/json, text/html or text/plain")
        }
        let document: JSONValue = switch path {
        case "/ips": source.ips()
        case "/plugins": source.plugins()
        case "/route_info": source.routeInfo()
        case "/vpc": source.vpc()
        default: source.overview()
        }
        switch rendering {
        case .json:
            return Self.json(.ok, document)
        case .plainText:
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: document.serialized(pretty: true) + "\n")))
            response.headers[.contentType] = "text/plain; charset=utf-8"
            return response
        case .html:
            // `/` is the operator's dashboard; the other pages show their document.
            let page = path == "/" ? DashboardPage.html(DashboardDocuments(source: source, overview: document))
                : StatusPage.html(title: Self.statusPages[path] ?? path, document: document)
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: page)))
            response.headers[.contentType] = "text/html; charset=utf-8"
            response.headers[.contentSecurityPolicy] = DashboardPage.contentSecurityPolicy
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    static func json(_ status: HTTPResponse.Status, _ document: JSONValue) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: document.serialized(pretty: true) + "\n")))
        response.headers[.contentType] = "application/json"
        return response
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, allow: String? = nil) -> Response {
        var response = json(status, .object([("error", .string(message)), ("status", .number(Double(status.code)))]))
        if let allow { response.headers[.allow] = allow }
        return response
    }
}
