/// An IPv6 address parsed strictly and written in its RFC 5952 canonical text.
///
/// Input may use any RFC 4291 hexadecimal form (upper or lower case, leading zeros, `::` anywhere);
/// it is written back canonically, so `2600:1F18:0::/56` and `2600:1f18::/56` are the same CIDR.
/// Refused, each with a message naming the rule: zone ids (`fe80::1%eth0`, they name a host's link,
/// not an ENI address), dotted-quad tails (`::ffff:10.0.0.1`, `64:ff9b::1.2.3.4`: name the IPv4
/// address itself), more than four hex digits in a group, a second `::`, and a wrong group count.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first and last 64 bits, in network order.
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses `text`, or returns nil. Use `parse(_:)` for the reason.
    public init?(_ text: String) {
        guard case .success(let address) = Self.parse(text) else { return nil }
        self = address
    }

    /// The eight 16-bit groups, first to last.
    public var groups: [UInt16] {
        (0..<8).map { index in
            let word = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (index % 4)))
        }
    }

    /// The sixteen bytes, in network order.
    public var bytes: [UInt8] {
        (0..<16).map { index in
            let word = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (index % 8)))
        }
    }

    init(groups: [UInt16]) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, group) in groups.enumerated() {
            if index < 4 { high = high << 16 | UInt64(group) } else { low = low << 16 | UInt64(group) }
        }
        self.init(high: high, low: low)
    }

    /// True inside `::ffff:0:0/96`: an IPv4 address written as IPv6, never an ENI's IPv6 address.
    public var isIPv4Mapped: Bool { high == 0 && low >> 32 == 0xffff }

    public static func parse(_ text: String) -> Result<IPv6Address, AddressSyntaxError> {
        func refuse(_ problem: String) -> Result<IPv6Address, AddressSyntaxError> {
            .failure(AddressSyntaxError(text: text, problem: problem))
        }
        if text.contains("%") {
            return refuse("zone ids (%...) are not accepted; a route or router is named by its address alone")
        }
        if text.contains(".") {
            return refuse("dotted-quad IPv4 forms inside IPv6 (such as ::ffff:10.0.0.1) are not accepted; name the IPv4 address itself, or write the IPv6 address in hexadecimal groups")
        }
        guard text.utf8.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") }) else {
            return refuse("an IPv6 address is hexadecimal groups separated by ':' (such as 2600:1f18::10)")
        }
        // Split at "::" by hand: RouteModel does without Foundation.
        let characters = Array(text)
        var doubleColons: [Int] = []
        for index in characters.indices.dropLast() where characters[index] == ":" && characters[index + 1] == ":" {
            doubleColons.append(index)
        }
        if doubleColons.count > 1 {
            return refuse(doubleColons[1] == doubleColons[0] + 1 ? "an empty group (':::')" : "'::' may appear only once")
        }
        let halves: [String] = doubleColons.first.map { [String(characters[..<$0]), String(characters[($0 + 2)...])] } ?? [text]
        func groups(_ part: String) -> [String]? {
            if part.isEmpty { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            return pieces.allSatisfy { !$0.isEmpty } ? pieces : nil
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else {
            return refuse("an empty group (a single ':' at the start or end, or '::' beside ':')")
        }
        let all: [String] = head + tail
        if let long = all.first(where: { $0.count > 4 }) {
            return refuse("the group \(RouteSpecValidator.quoted(long)) has more than four hex digits")
        }
        let given = all.count
        if halves.count == 1 {
            guard given == 8 else { return refuse("expected eight groups, found \(given); use '::' for a run of zero groups") }
        } else {
            guard given <= 7 else { return refuse("'::' must stand for at least one zero group; eight groups are given besides it") }
        }
        let values: [UInt16] = all.map { UInt16($0, radix: 16)! }
        let zeros = [UInt16](repeating: 0, count: 8 - given)
        return .success(IPv6Address(groups: Array(values.prefix(head.count)) + zeros + Array(values.suffix(tail.count))))
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte)
    }

    /// RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups (the first
    /// of equal runs) shortened to `::`.
    public var description: String {
        let groups = groups
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength { bestStart = index; bestLength = end - index }
            index = end
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String { slice.map { String($0, radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(groups[...]) }
        return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
