import RouteModel

/// A CreateRoute refused because the route exists: it appeared after the read the plan was made
/// from. It is not overwritten; the reconciler reads the VPC again and decides anew.
struct RouteWriteConflict: Error, CustomStringConvertible {
    let tableId: String
    let cidr: IPv4CIDR

    var description: String {
        "a route for \(cidr) in \(tableId) appeared since the read; not overwritten, the next read decides"
    }
}
