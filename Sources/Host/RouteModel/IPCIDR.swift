/// A destination network of either family, in canonical form. IPv4 sorts before IPv6.
public enum IPCIDR: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4CIDR)
    case v6(IPv6CIDR)

    /// Creates a CIDR of the address's family, clearing host bits.
    public init(network: IPAddress, prefixLength: Int) {
        switch network {
        case .v4(let address): self = .v4(IPv4CIDR(network: address, prefixLength: prefixLength))
        case .v6(let address): self = .v6(IPv6CIDR(network: address, prefixLength: prefixLength))
        }
    }

    public init?(_ text: String) {
        guard case .success(let cidr) = Self.parse(text) else { return nil }
        self = cidr
    }

    /// Parses `network/length` strictly: text with a `:` is IPv6, anything else IPv4.
    public static func parse(_ text: String) -> Result<IPCIDR, AddressSyntaxError> {
        text.contains(":") ? IPv6CIDR.parse(text).map(IPCIDR.v6) : IPv4CIDR.parse(text).map(IPCIDR.v4)
    }

    /// Parses an IP or a CIDR the way `--ignore_routes` takes them: a plain IP is its /32 (IPv4)
    /// or /128 (IPv6), and the bare `0.0.0.0` or `::` means that family's default route, as the
    /// original did for IPv4.
    public static func parseAddressOrCIDR(_ text: String) -> Result<IPCIDR, AddressSyntaxError> {
        if !text.contains(":") { return IPv4CIDR.parseAddressOrCIDR(text).map(IPCIDR.v4) }
        if text.contains("/") { return parse(text) }
        return IPAddress.parse(text).map { address in
            let isUnspecified = address.bytes.allSatisfy { $0 == 0 }
            return IPCIDR(network: address, prefixLength: isUnspecified ? 0 : 128)
        }
    }

    public var family: IPFamily {
        switch self {
        case .v4: .v4
        case .v6: .v6
        }
    }

    public var network: IPAddress {
        switch self {
        case .v4(let cidr): .v4(cidr.network)
        case .v6(let cidr): .v6(cidr.network)
        }
    }

    public var prefixLength: Int {
        switch self {
        case .v4(let cidr): cidr.prefixLength
        case .v6(let cidr): cidr.prefixLength
        }
    }

    /// True when `address` is of this family and inside this network.
    public func contains(_ address: IPAddress) -> Bool {
        switch (self, address) {
        case (.v4(let cidr), .v4(let address)): cidr.contains(address)
        case (.v6(let cidr), .v6(let address)): cidr.contains(address)
        default: false
        }
    }

    /// True when `other` is of this family and lies entirely inside this network.
    public func contains(_ other: IPCIDR) -> Bool {
        switch (self, other) {
        case (.v4(let cidr), .v4(let other)): cidr.contains(other)
        case (.v6(let cidr), .v6(let other)): cidr.contains(other)
        default: false
        }
    }

    public var description: String {
        switch self {
        case .v4(let cidr): cidr.description
        case .v6(let cidr): cidr.description
        }
    }

    public static func < (lhs: IPCIDR, rhs: IPCIDR) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let left), .v4(let right)): left < right
        case (.v6(let left), .v6(let right)): left < right
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}
