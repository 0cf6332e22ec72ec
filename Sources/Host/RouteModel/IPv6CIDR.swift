/// An IPv6 network in canonical form: no host bits set, prefix length 0-128.
public struct IPv6CIDR: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let network: IPv6Address
    public let prefixLength: Int

    /// Creates a CIDR, clearing host bits.
    public init(network: IPv6Address, prefixLength: Int) {
        precondition((0...128).contains(prefixLength), "prefix length out of range")
        self.prefixLength = prefixLength
        let (highMask, lowMask) = Self.mask(prefixLength)
        self.network = IPv6Address(high: network.high & highMask, low: network.low & lowMask)
    }

    public init?(_ text: String) {
        guard case .success(let cidr) = Self.parse(text) else { return nil }
        self = cidr
    }

    /// Parses `address/n` strictly. A CIDR with host bits is refused with the canonical form named;
    /// so is an IPv4-mapped network (`::ffff:0:0/96` and inside it), which no VPC route can carry.
    public static func parse(_ text: String) -> Result<IPv6CIDR, AddressSyntaxError> {
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2 else {
            return .failure(AddressSyntaxError(text: text, problem: "expected a CIDR such as 2600:1f18::/56"))
        }
        let address: IPv6Address
        switch IPv6Address.parse(String(pieces[0])) {
        case .success(let parsed): address = parsed
        case .failure(let error): return .failure(AddressSyntaxError(text: text, problem: error.problem))
        }
        let lengthText = pieces[1]
        guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let length = Int(lengthText), length <= 128, !(lengthText.count > 1 && lengthText.first == "0")
        else {
            return .failure(AddressSyntaxError(text: text, problem: "the prefix length must be a number 0-128"))
        }
        let cidr = IPv6CIDR(network: address, prefixLength: length)
        if cidr.network != address {
            return .failure(AddressSyntaxError(text: text, problem: "host bits are set; did you mean \(cidr)?"))
        }
        if length >= 96 && address.isIPv4Mapped {
            return .failure(AddressSyntaxError(text: text, problem: "IPv4-mapped networks (inside ::ffff:0:0/96) are not accepted; write the IPv4 CIDR itself"))
        }
        return .success(cidr)
    }

    public var description: String { "\(network)/\(prefixLength)" }

    public func contains(_ address: IPv6Address) -> Bool {
        let (highMask, lowMask) = Self.mask(prefixLength)
        return address.high & highMask == network.high && address.low & lowMask == network.low
    }

    /// True when `other` lies entirely inside this network.
    public func contains(_ other: IPv6CIDR) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }

    public static func < (lhs: IPv6CIDR, rhs: IPv6CIDR) -> Bool {
        (lhs.network, lhs.prefixLength) < (rhs.network, rhs.prefixLength)
    }

    static func mask(_ length: Int) -> (UInt64, UInt64) {
        func word(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : UInt64.max << UInt64(64 - bits) }
        return (word(length), word(length - 64))
    }
}
