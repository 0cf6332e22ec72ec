import RouteModel

/// CIDRs that share the same eligible routers (and, for routers in order of preference, the same
/// order) share one prefix list and one route per table in `--prefix-lists` mode.
public struct PrefixListGroup: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The tag naming the VPC a list was made for; lists are read by it.
    public static let vpcTagKey = "vpcrouter:vpc"
    /// The tag naming a list's group by `tag`.
    public static let groupTagKey = "vpcrouter:group"

    /// In order of preference when `ordered`, else sorted.
    public let routers: [IPAddress]
    public let ordered: Bool

    public init(routers: [IPAddress], ordered: Bool) {
        self.ordered = ordered && routers.count > 1
        self.routers = self.ordered ? routers : routers.sorted()
    }

    /// The group of `cidr` in `spec`, or nil when it lists no routers.
    public init?(of cidr: IPCIDR, in spec: RouteSpec) {
        guard let routers = spec[cidr], !routers.isEmpty else { return nil }
        self.init(routers: routers, ordered: spec.order(of: cidr) == .preference)
    }

    /// `any:10.0.1.10,10.0.2.20` or `preference:10.0.2.20,10.0.1.10`.
    public var key: String {
        (ordered ? "preference:" : "any:") + routers.map(\.description).joined(separator: ",")
    }

    /// A fixed 64-bit hash of `key` in hex: the group tag's value and part of the list's name
    /// (tag values are capped at 256 characters; a router list is not).
    public var tag: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The list's name: `vpcrouter-vpc-0a1b-3f9c2d...`.
    public func listName(vpcId: String) -> String { "vpcrouter-\(vpcId)-\(tag)" }

    /// The tags a list is created with.
    public func listTags(vpcId: String) -> [String: String] {
        [Self.vpcTagKey: vpcId, Self.groupTagKey: tag, "Name": listName(vpcId: vpcId)]
    }

    /// Room for growth: a quarter more than the group holds, at least two more.
    public static func maxEntries(forCount count: Int) -> Int { count + max(2, (count + 3) / 4) }

    public static func < (lhs: PrefixListGroup, rhs: PrefixListGroup) -> Bool { lhs.key < rhs.key }

    public var description: String { key }
}
