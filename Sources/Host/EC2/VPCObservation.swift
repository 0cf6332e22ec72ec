import FoundationEssentials

/// One consistent-enough read of a VPC: its route tables, interfaces and subnets.
public struct VPCObservation: Sendable {
    public let vpcId: String
    public let routeTables: [RouteTable]
    public let networkInterfaces: [NetworkInterface]
    public let subnets: [Subnet]
    public let observedAt: Date

    public init(vpcId: String, routeTables: [RouteTable], networkInterfaces: [NetworkInterface], subnets: [Subnet], observedAt: Date = Date()) {
        self.vpcId = vpcId
        self.routeTables = routeTables
        self.networkInterfaces = networkInterfaces
        self.subnets = subnets
        self.observedAt = observedAt
    }

    /// The interface holding this private address (primary or secondary).
    public func networkInterface(holding address: String) -> NetworkInterface? {
        networkInterfaces.first { $0.holds(address) }
    }

    /// The table that routes a subnet: its explicit association, else the main table.
    public func routeTable(forSubnet subnetId: String) -> RouteTable? {
        routeTables.first { $0.subnetIds.contains(subnetId) } ?? routeTables.first { $0.isMain }
    }
}
