/// The two address families a route or router can belong to.
public enum IPFamily: String, Hashable, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case v4 = "IPv4"
    case v6 = "IPv6"

    public var description: String { rawValue }

    public static func < (lhs: IPFamily, rhs: IPFamily) -> Bool { lhs == .v4 && rhs == .v6 }
}
