/// How much of a route table's route quota is used, counting a prefix list as its maximum entries
/// (`--prefix-lists`), now and once the plan's prefix lists are in place.
public struct TableQuotaUse: Hashable, Sendable, CustomStringConvertible {
    public var tableId: String
    /// Routes as observed, each route to a prefix list of vpcrouter's counted as the list's max
    /// entries (a route to someone else's list counts as one: its size is not read).
    public var used: Int
    /// The same once every group has its list and route and the per-CIDR routes they replace are gone.
    public var planned: Int
    public var quota: Int

    public init(tableId: String, used: Int, planned: Int, quota: Int) {
        self.tableId = tableId
        self.used = used
        self.planned = planned
        self.quota = quota
    }

    public var fits: Bool { planned <= quota }

    public var description: String { "\(tableId): \(used) of \(quota) routes used, \(planned) planned" }
}
