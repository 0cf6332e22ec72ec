import RouteModel

/// A CreateRoute refused because the route exists: it appeared after the read the plan was made
/// from. It is not overwritten; the reconciler reads the VPC again and decides anew.
public struct RouteWriteConflict: Error, CustomStringConvertible {
    public let tableId: String
    public let cidr: IPCIDR

    public init(tableId: String, cidr: IPCIDR) {
        self.tableId = tableId
        self.cidr = cidr
    }

    public var description: String {
        "a route for \(cidr) in \(tableId) appeared since the read; not overwritten, the next read decides"
    }
}
