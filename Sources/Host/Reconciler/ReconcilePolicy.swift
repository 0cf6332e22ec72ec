import RouteModel

/// Operator choices that shape every plan.
public struct ReconcilePolicy: Equatable, Sendable {
    /// Which route tables vpcrouter manages.
    public enum TableSelection: Equatable, Sendable {
        /// Tables associated, explicitly or implicitly through the main table, with a subnet that
        /// holds one of the spec's routers.
        case automatic
        /// Exactly these tables.
        case tableIds(Set<String>)
        /// Every table carrying this tag.
        case tag(key: String, value: String)
    }

    /// An ignored CIDR and every CIDR inside it is never created, changed or deleted, except that
    /// `0.0.0.0/0` protects only the default route itself, as in vpc-router 1.8.11 (the Romana
    /// container passes `--ignore_routes 0.0.0.0/0` to keep a NAT instance's default route).
    public var ignoredCIDRs: [IPCIDR]
    public var tableSelection: TableSelection
    /// DANGEROUS, off by default: also delete every instance or ENI route in the managed tables
    /// that is neither in the spec nor in the ledger (NAT instances, VPN boxes, proxies...).
    /// This is vpc-router 1.8.11's behaviour; only set it when vpcrouter alone owns those tables.
    public var deleteUnownedRoutes: Bool
    /// For CIDRs whose routers are in order of preference: a route on a backup moves back to a
    /// router listed before it once that router has been healthy without a break for this long.
    /// Nil (the default): no fail-back, the route stays where it is while its router can carry it.
    public var failBackAfter: Duration?
    /// `--prefix-lists`: CIDRs that share their router list share one customer-managed prefix list
    /// and one route per table (see `PrefixListPlanner`). Off: one route per CIDR and table, and
    /// any lists vpcrouter made are migrated away from and deleted.
    public var prefixLists: Bool
    /// The routes a table may hold (EC2's default quota is 50, raised on request up to 1,000). A
    /// prefix list counts as its maximum entries in every table that routes to it.
    public var routeTableQuota: Int

    public static let defaultRouteTableQuota = 50

    public init(
        ignoredCIDRs: [IPCIDR] = [],
        tableSelection: TableSelection = .automatic,
        deleteUnownedRoutes: Bool = false,
        failBackAfter: Duration? = nil,
        prefixLists: Bool = false,
        routeTableQuota: Int = ReconcilePolicy.defaultRouteTableQuota
    ) {
        self.ignoredCIDRs = ignoredCIDRs
        self.tableSelection = tableSelection
        self.deleteUnownedRoutes = deleteUnownedRoutes
        self.failBackAfter = failBackAfter
        self.prefixLists = prefixLists
        self.routeTableQuota = routeTableQuota
    }

    /// The ignore entry that covers `cidr`, if any: the default-route entry covers only the
    /// default route; any other entry covers itself and its subnets.
    public func ignoreEntry(covering cidr: IPCIDR) -> IPCIDR? {
        ignoredCIDRs.first { entry in
            if entry.prefixLength == 0 || cidr.prefixLength == 0 {
                return entry.prefixLength == 0 && cidr.prefixLength == 0 && entry.family == cidr.family
            }
            return entry.contains(cidr)
        }
    }
}
