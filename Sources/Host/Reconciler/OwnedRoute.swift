import RouteModel

/// One route vpcrouter may have written: the table, the destination and the network interface it
/// pointed the route at.
public struct OwnedRoute: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var tableId: String
    public var cidr: IPCIDR
    public var networkInterfaceId: String

    public init(tableId: String, cidr: IPCIDR, networkInterfaceId: String) {
        self.tableId = tableId
        self.cidr = cidr
        self.networkInterfaceId = networkInterfaceId
    }

    /// By CIDR, then table, then interface: the order of the ledger file.
    public static func < (lhs: OwnedRoute, rhs: OwnedRoute) -> Bool {
        if lhs.cidr != rhs.cidr { return lhs.cidr < rhs.cidr }
        if lhs.tableId != rhs.tableId { return lhs.tableId < rhs.tableId }
        return lhs.networkInterfaceId < rhs.networkInterfaceId
    }

    public var description: String { "\(cidr) in \(tableId) -> \(networkInterfaceId)" }
}
