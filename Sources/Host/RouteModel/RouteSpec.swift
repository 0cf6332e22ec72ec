/// The desired state: each destination CIDR and the router IPs eligible to carry it.
///
/// Always a full snapshot, never a delta. An empty router list asks for the route to be removed.
/// By default every listed router is equal: the list is sorted and free of duplicates. A CIDR whose
/// routers are in order of preference (`RouterOrder.preference`) keeps its list in the order given
/// (duplicates dropped after their first place). Two specs that mean the same are equal: an order
/// only counts where there is something to order (two routers or more).
public struct RouteSpec: Equatable, Sendable {
    public private(set) var routes: [IPCIDR: [IPAddress]]
    /// The CIDRs whose router list is a preference order (each with at least two routers).
    public private(set) var preferenceOrdered: Set<IPCIDR>

    /// Creates a spec; router lists are sorted and de-duplicated, except for the CIDRs in
    /// `preferenceOrdered`, whose lists keep their order. Prefer `RouteSpecValidator` for
    /// anything that came from outside the process.
    public init(_ routes: [IPCIDR: [IPAddress]], preferenceOrdered: Set<IPCIDR> = []) {
        var normalized: [IPCIDR: [IPAddress]] = [:]
        var ordered: Set<IPCIDR> = []
        for (cidr, routers) in routes {
            if preferenceOrdered.contains(cidr) {
                var seen: Set<IPAddress> = []
                normalized[cidr] = routers.filter { seen.insert($0).inserted }
                if normalized[cidr]!.count > 1 { ordered.insert(cidr) }
            } else {
                normalized[cidr] = Array(Set(routers)).sorted()
            }
        }
        self.routes = normalized
        self.preferenceOrdered = ordered
    }

    public var cidrs: [IPCIDR] { routes.keys.sorted() }

    /// Every router IP named anywhere in the spec, sorted.
    public var routerAddresses: [IPAddress] {
        Array(Set(routes.values.joined())).sorted()
    }

    /// The routers listed for `cidr`: in preference order for a preference CIDR, else sorted.
    public subscript(cidr: IPCIDR) -> [IPAddress]? { routes[cidr] }

    /// How the routers of `cidr` are ordered.
    public func order(of cidr: IPCIDR) -> RouterOrder {
        preferenceOrdered.contains(cidr) ? .preference : .any
    }

    /// The spec as JSON, keys sorted. Equal routers in the original's format,
    /// `{"10.1.0.0/16": ["10.0.0.5"]}`; a preference CIDR in the object form,
    /// `{"10.1.0.0/16": {"routers": ["10.0.0.5", "10.0.1.5"], "order": "preference"}}`.
    public var json: String {
        let entries = cidrs.map { cidr in
            let routers = "[" + routes[cidr, default: []].map { "\"\($0)\"" }.joined(separator: ", ") + "]"
            if order(of: cidr) == .preference {
                return "\"\(cidr)\": {\"routers\": \(routers), \"order\": \"\(RouterOrder.preference.rawValue)\"}"
            }
            return "\"\(cidr)\": \(routers)"
        }
        return "{" + entries.joined(separator: ", ") + "}"
    }
}
