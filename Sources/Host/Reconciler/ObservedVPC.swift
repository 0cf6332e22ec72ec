/// What one observation of a VPC found: its route tables, subnets and network interfaces.
///
/// Deliberately independent of any EC2 client's types; an adapter maps the describe answers into
/// these values, so the planner can be tested and benchmarked without AWS.
///
/// Adapters should reuse one `String` per id (the same ENI id appears in every route table):
/// 200 tables of 1,000 routes hold 400,000 id strings otherwise, about 30 MB more.
public struct ObservedVPC: Equatable, Sendable {
    public var id: String
    public var routeTables: [ObservedRouteTable]
    public var subnets: [ObservedSubnet]
    public var networkInterfaces: [ObservedNetworkInterface]
    /// The customer-managed prefix lists tagged for this VPC (read only in `--prefix-lists` mode or
    /// while the ledger holds lists).
    public var prefixLists: [ObservedPrefixList]

    public init(
        id: String,
        routeTables: [ObservedRouteTable] = [],
        subnets: [ObservedSubnet] = [],
        networkInterfaces: [ObservedNetworkInterface] = [],
        prefixLists: [ObservedPrefixList] = []
    ) {
        self.id = id
        self.routeTables = routeTables
        self.subnets = subnets
        self.networkInterfaces = networkInterfaces
        self.prefixLists = prefixLists
    }
}
