/// A router or host address of either family. IPv4 sorts before IPv6.
///
/// Text with a `:` is read as IPv6, anything else as a dotted-quad IPv4 address; each family keeps
/// its own strict rules (`IPv4Address.parse`, `IPv6Address.parse`).
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses `text`, or returns nil. Use `parse(_:)` for the reason.
    public init?(_ text: String) {
        guard case .success(let address) = Self.parse(text) else { return nil }
        self = address
    }

    public static func parse(_ text: String) -> Result<IPAddress, AddressSyntaxError> {
        if text.contains(":") {
            return IPv6Address.parse(text).flatMap { address in
                if address.isIPv4Mapped {
                    return .failure(AddressSyntaxError(text: text, problem: "IPv4-mapped addresses (::ffff:0:0/96) are not accepted; name the IPv4 address itself"))
                }
                return .success(.v6(address))
            }
        }
        return IPv4Address.parse(text).map(IPAddress.v4)
    }

    public var family: IPFamily {
        switch self {
        case .v4: .v4
        case .v6: .v6
        }
    }

    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let address): (0..<4).map { UInt8(truncatingIfNeeded: address.value >> UInt32(24 - 8 * $0)) }
        case .v6(let address): address.bytes
        }
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let left), .v4(let right)): left < right
        case (.v6(let left), .v6(let right)): left < right
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}
