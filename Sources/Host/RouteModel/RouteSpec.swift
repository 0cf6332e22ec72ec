/// The desired state: each destination CIDR and the router IPs eligible to carry it.
///
/// Always a full snapshot, never a delta. An empty router list asks for the route to be removed.
/// Router lists are sorted and free of duplicates, so two specs that mean the same are equal.
public struct RouteSpec: Equatable, Sendable {
    public private(set) var routes: [IPv4CIDR: [IPv4Address]]

    /// Creates a spec; router lists are sorted and de-duplicated. Prefer `RouteSpecValidator` for
    /// anything that came from outside the process.
    public init(_ routes: [IPv4CIDR: [IPv4Address]]) {
        self.routes = routes.mapValues { Array(Set($0)).sorted() }
    }

    public var cidrs: [IPv4CIDR] { routes.keys.sorted() }

    /// Every router IP named anywhere in the spec, sorted.
    public var routerAddresses: [IPv4Address] {
        Array(Set(routes.values.joined())).sorted()
    }

    public subscript(cidr: IPv4CIDR) -> [IPv4Address]? { routes[cidr] }

    /// The spec as JSON in the original's format, keys and lists sorted: `{"10.1.0.0/16": ["10.0.0.5"]}`.
    public var json: String {
        let entries = cidrs.map { cidr in
            let routers = routes[cidr, default: []].map { "\"\($0)\"" }.joined(separator: ", ")
            return "\"\(cidr)\": [\(routers)]"
        }
        return "{" + entries.joined(separator: ", ") + "}"
    }
}
