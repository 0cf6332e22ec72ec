/// An IPv4 network in canonical form: no host bits set, prefix length 0-32.
public struct IPv4CIDR: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let prefixLength: Int

    /// Creates a CIDR, clearing host bits.
    public init(network: IPv4Address, prefixLength: Int) {
        precondition((0...32).contains(prefixLength), "prefix length out of range")
        self.prefixLength = prefixLength
        self.network = IPv4Address(network.value & Self.mask(prefixLength))
    }

    public init?(_ text: String) {
        guard case .success(let cidr) = Self.parse(text) else { return nil }
        self = cidr
    }

    /// Parses `a.b.c.d/n` strictly. A CIDR with host bits is refused with the canonical form named.
    public static func parse(_ text: String) -> Result<IPv4CIDR, AddressSyntaxError> {
        if text.contains(":") {
            return .failure(AddressSyntaxError(text: text, problem: "an IPv6 CIDR where only IPv4 is accepted; use an IPv4 CIDR"))
        }
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2 else {
            return .failure(AddressSyntaxError(text: text, problem: "expected a CIDR such as 10.0.0.0/16"))
        }
        let addressText = String(pieces[0])
        let lengthText = pieces[1]
        let address: IPv4Address
        switch IPv4Address.parse(addressText) {
        case .success(let parsed): address = parsed
        case .failure(let error): return .failure(AddressSyntaxError(text: text, problem: error.problem))
        }
        guard !lengthText.isEmpty, lengthText.count <= 2, lengthText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let length = Int(lengthText), length <= 32, !(lengthText.count > 1 && lengthText.first == "0")
        else {
            return .failure(AddressSyntaxError(text: text, problem: "the prefix length must be a number 0-32"))
        }
        let cidr = IPv4CIDR(network: address, prefixLength: length)
        if cidr.network != address {
            return .failure(AddressSyntaxError(text: text, problem: "host bits are set; did you mean \(cidr)?"))
        }
        return .success(cidr)
    }

    /// Parses an IP or a CIDR the way `--ignore_routes` takes them: a plain IP is its /32, and the
    /// bare `0.0.0.0` means everything (`0.0.0.0/0`), as the original did.
    public static func parseAddressOrCIDR(_ text: String) -> Result<IPv4CIDR, AddressSyntaxError> {
        if text.contains("/") { return parse(text) }
        switch IPv4Address.parse(text) {
        case .success(let address):
            return .success(IPv4CIDR(network: address, prefixLength: address.value == 0 ? 0 : 32))
        case .failure(let error):
            return .failure(error)
        }
    }

    public var description: String { "\(network)/\(prefixLength)" }

    public var lastAddress: IPv4Address { IPv4Address(network.value | ~Self.mask(prefixLength)) }

    public func contains(_ address: IPv4Address) -> Bool {
        address.value & Self.mask(prefixLength) == network.value
    }

    /// True when `other` lies entirely inside this network.
    public func contains(_ other: IPv4CIDR) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }

    public static func < (lhs: IPv4CIDR, rhs: IPv4CIDR) -> Bool {
        (lhs.network, lhs.prefixLength) < (rhs.network, rhs.prefixLength)
    }

    static func mask(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << UInt32(32 - length)
    }
}
