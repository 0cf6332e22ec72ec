/// A route vpcrouter wrote to one of its prefix lists.
public struct OwnedPrefixListRoute: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var tableId: String
    public var prefixListId: String

    public init(tableId: String, prefixListId: String) {
        self.tableId = tableId
        self.prefixListId = prefixListId
    }

    public static func < (lhs: OwnedPrefixListRoute, rhs: OwnedPrefixListRoute) -> Bool {
        (lhs.prefixListId, lhs.tableId) < (rhs.prefixListId, rhs.tableId)
    }

    public var description: String { "\(prefixListId) in \(tableId)" }
}
