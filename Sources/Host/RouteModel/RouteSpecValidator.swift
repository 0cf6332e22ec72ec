/// Turns untrusted route spec input into a `RouteSpec`, or says exactly what is wrong.
///
/// Every submission from every plugin goes through here, whether it arrived as JSON (configfile,
/// http) or as ABI structs (any mode plugin).
public struct RouteSpecValidator: Sendable {
    /// Upper bound on CIDRs in one spec; far above the route table quota of 1,000.
    public var maximumRoutes: Int
    /// Upper bound on routers listed for one CIDR.
    public var maximumRoutersPerRoute: Int
    /// Upper bound on the size of a JSON document.
    public var maximumBytes: Int

    public init(maximumRoutes: Int = 10_000, maximumRoutersPerRoute: Int = 256, maximumBytes: Int = 1 << 20) {
        self.maximumRoutes = maximumRoutes
        self.maximumRoutersPerRoute = maximumRoutersPerRoute
        self.maximumBytes = maximumBytes
    }

    /// Validates entries given as text, in submission order; every listed router is equal.
    public func validate(entries: [(cidr: String, routers: [String])]) throws(RouteSpecError) -> RouteSpec {
        try validate(entries: entries.map { ($0.cidr, $0.routers, RouterOrder.any) })
    }

    /// Validates entries given as text, in submission order, each with the order of its routers.
    public func validate(entries: [(cidr: String, routers: [String], order: RouterOrder)]) throws(RouteSpecError) -> RouteSpec {
        if entries.isEmpty {
            throw RouteSpecError(.empty, "the route spec is empty; an empty spec is refused so a mistake cannot drop every route (list a CIDR with an empty router list to remove it)")
        }
        if entries.count > maximumRoutes {
            throw RouteSpecError(.tooLarge, "the route spec has \(entries.count) CIDRs; at most \(maximumRoutes) are accepted")
        }
        var routes: [IPCIDR: [IPAddress]] = [:]
        var preferenceOrdered: Set<IPCIDR> = []
        for entry in entries {
            let cidr: IPCIDR
            switch IPCIDR.parse(entry.cidr) {
            case .success(let parsed): cidr = parsed
            case .failure(let error):
                throw RouteSpecError(.badCIDR, "route spec key \(Self.quoted(entry.cidr)) is not a valid CIDR: \(error.problem)")
            }
            if routes[cidr] != nil {
                throw RouteSpecError(.duplicate, "route spec lists CIDR \(cidr) twice")
            }
            if entry.routers.count > maximumRoutersPerRoute {
                throw RouteSpecError(.tooLarge, "route spec lists \(entry.routers.count) routers for \(cidr); at most \(maximumRoutersPerRoute) are accepted")
            }
            var routers: [IPAddress] = []
            for text in entry.routers {
                switch IPAddress.parse(text) {
                case .success(let address): routers.append(address)
                case .failure(let error):
                    throw RouteSpecError(.badRouter, "router \(Self.quoted(text)) for \(cidr) is not a valid \(text.contains(":") ? "IPv6" : "IPv4") address: \(error.problem)")
                }
            }
            routes[cidr] = routers
            if entry.order == .preference { preferenceOrdered.insert(cidr) }
        }
        return RouteSpec(routes, preferenceOrdered: preferenceOrdered)
    }

    /// Validates a JSON document. Each CIDR maps to a list of router IPs, all equal (the original
    /// format, `{"10.55.16.0/24": ["10.33.20.142"]}`), or to an object whose `routers` list is read
    /// as `order` says: `{"10.55.0.0/16": {"routers": ["10.0.1.10", "10.0.2.20"], "order": "preference"}}`
    /// (`"order": "any"`, the default, means the same as the plain list).
    public func validate(json bytes: some Collection<UInt8>, maximumBytes: Int = 1 << 20) throws(RouteSpecError) -> RouteSpec {
        if bytes.count > maximumBytes {
            throw RouteSpecError(.tooLarge, "the route spec is \(bytes.count) bytes; at most \(maximumBytes) are accepted")
        }
        let document: JSONValue
        do {
            document = try StrictJSONParser.parse(Array(bytes))
        } catch {
            throw RouteSpecError(.notJSON, "the route spec is not valid JSON: \(error.message)")
        }
        guard case .object(let members) = document else {
            throw RouteSpecError(.wrongShape, "the route spec must be a JSON object mapping CIDRs to lists of router IPs; found \(document.kindName)")
        }
        var entries: [(cidr: String, routers: [String], order: RouterOrder)] = []
        for (key, value) in members {
            var order = RouterOrder.any
            var routerList = value
            if case .object(let fields) = value {
                (routerList, order) = try Self.routerObject(fields, key: key)
            }
            guard case .array(let items) = routerList else {
                throw RouteSpecError(.wrongShape, "the routers of \(Self.quoted(key)) must be a list of IP strings; found \(routerList.kindName)")
            }
            var routers: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw RouteSpecError(.wrongShape, "the routers of \(Self.quoted(key)) must be IP strings; found \(item.kindName)")
                }
                routers.append(text)
            }
            entries.append((key, routers, order))
        }
        return try validate(entries: entries)
    }

    /// The object form of one entry: its `routers` value (checked by the caller) and its `order`.
    private static func routerObject(_ fields: [(String, JSONValue)], key: String) throws(RouteSpecError) -> (JSONValue, RouterOrder) {
        let known = ["routers", "order"]
        if let unknown = fields.first(where: { !known.contains($0.0) }) {
            throw RouteSpecError(.wrongShape, "the entry for \(quoted(key)) has an unknown key \(quoted(unknown.0)); "
                + "an entry object takes \"routers\" (a list of IP strings) and \"order\" (\"any\" or \"preference\")")
        }
        guard let routers = fields.first(where: { $0.0 == "routers" })?.1 else {
            throw RouteSpecError(.wrongShape, "the entry for \(quoted(key)) has no \"routers\" list; "
                + "an entry object takes \"routers\" (a list of IP strings) and \"order\" (\"any\" or \"preference\")")
        }
        guard let orderValue = fields.first(where: { $0.0 == "order" })?.1 else { return (routers, .any) }
        let choices = RouterOrder.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        guard case .string(let text) = orderValue else {
            throw RouteSpecError(.wrongShape, "the \"order\" of \(quoted(key)) must be \(choices); found \(orderValue.kindName)")
        }
        guard let order = RouterOrder(rawValue: text) else {
            throw RouteSpecError(.badOrder, "the \"order\" of \(quoted(key)) is \(quoted(text)); it must be \(choices)")
        }
        return (routers, order)
    }

    /// Quotes untrusted text for a message, escaping control characters and capping the length.
    static func quoted(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars.prefix(64) {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        if text.unicodeScalars.count > 64 { shown += "…" }
        return "'\(shown)'"
    }
}
