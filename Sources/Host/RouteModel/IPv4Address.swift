/// An IPv4 address parsed strictly: four dotted decimal numbers 0-255 without leading zeros.
///
/// The original accepted `inet_aton` shorthand (`10.1.1`, `010.1.1.1`) that could never match an
/// instance IP; we refuse it so a typo is an error, not a route that silently never works.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    /// Parses `text`, or returns nil. Use `parse(_:)` for the reason.
    public init?(_ text: String) {
        guard case .success(let address) = Self.parse(text) else { return nil }
        self = address
    }

    public static func parse(_ text: String) -> Result<IPv4Address, AddressSyntaxError> {
        if text.contains(":") {
            return .failure(AddressSyntaxError(text: text, problem: "an IPv6 address where only IPv4 is accepted; use a dotted-quad IPv4 address"))
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            return .failure(AddressSyntaxError(text: text, problem: "expected four dotted decimal numbers (a.b.c.d)"))
        }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return .failure(AddressSyntaxError(text: text, problem: "expected four dotted decimal numbers (a.b.c.d)"))
            }
            if part.count > 1 && part.first == "0" {
                return .failure(AddressSyntaxError(text: text, problem: "leading zeros are ambiguous (octal or decimal?)"))
            }
            guard let octet = UInt32(part), octet <= 255 else {
                return .failure(AddressSyntaxError(text: text, problem: "each number must be 0-255"))
            }
            value = value << 8 | octet
        }
        return .success(IPv4Address(value))
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool {
        lhs.value < rhs.value
    }
}

/// Why a piece of text is not an address or CIDR.
public struct AddressSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public let problem: String

    public var description: String {
        "'\(text)' is not valid: \(problem)"
    }
}
