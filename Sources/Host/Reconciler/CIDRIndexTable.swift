import RouteModel

/// A fixed-size open-addressing map from CIDR to a small integer.
///
/// The planner looks up every route of every managed table (hundreds of thousands per plan);
/// `Dictionary` pays for a seeded SipHash on each lookup, this pays for one multiply. IPv4 CIDRs
/// pack into one 64-bit key; IPv6 CIDRs, which do not, go to a plain dictionary beside it.
struct CIDRIndexTable {
    private var wideIndex: [IPCIDR: Int32] = [:]
    private var keys: [UInt64]
    private var values: [Int32]
    private let mask: Int
    private static let empty = UInt64.max

    init(_ cidrs: [IPCIDR]) {
        var capacity = 16
        while capacity < cidrs.count * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: capacity)
        values = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for (index, cidr) in cidrs.enumerated() {
            guard let key = Self.key(cidr) else {
                if wideIndex[cidr] == nil { wideIndex[cidr] = Int32(index) }
                continue
            }
            var slot = Self.slot(key, mask)
            while keys[slot] != Self.empty && keys[slot] != key { slot = (slot + 1) & mask }
            if keys[slot] == Self.empty {
                keys[slot] = key
                values[slot] = Int32(index)
            }
        }
    }

    /// The index the CIDR was given at construction (its first occurrence), or nil.
    func index(of cidr: IPCIDR) -> Int? {
        guard let key = Self.key(cidr) else { return wideIndex[cidr].map(Int.init) }
        var slot = Self.slot(key, mask)
        while true {
            let found = keys[slot]
            if found == key { return Int(values[slot]) }
            if found == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
    }

    private static func key(_ cidr: IPCIDR) -> UInt64? {
        guard case .v4(let v4) = cidr else { return nil }
        return UInt64(v4.network.value) << 8 | UInt64(v4.prefixLength)
    }

    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        // Fibonacci hashing: the multiply spreads the network bits into the high half.
        Int(truncatingIfNeeded: (key &* 0x9e37_79b9_7f4a_7c15) >> 32) & mask
    }
}
