/// A fixed-size open-addressing map from an id string (`eni-…`, `rtb-…`) to a small integer.
///
/// Looked up once per route of every managed table; `Dictionary` would hash each id with a seeded
/// SipHash, this hashes its bytes with FNV-1a, a fraction of the work for ids this short.
struct IdIndexTable {
    private var keys: [String?]
    private var values: [Int32]
    private let mask: Int

    /// Maps each id to its position in `ids`; a repeated id keeps its first position.
    init(_ ids: [String]) {
        var capacity = 16
        while capacity < ids.count * 2 { capacity <<= 1 }
        keys = [String?](repeating: nil, count: capacity)
        values = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for (index, id) in ids.enumerated() {
            var slot = Self.hash(id) & mask
            while let existing = keys[slot], existing != id { slot = (slot + 1) & mask }
            if keys[slot] == nil {
                keys[slot] = id
                values[slot] = Int32(index)
            }
        }
    }

    func index(of id: String) -> Int? {
        var slot = Self.hash(id) & mask
        while let existing = keys[slot] {
            if existing == id { return Int(values[slot]) }
            slot = (slot + 1) & mask
        }
        return nil
    }

    private static func hash(_ id: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        if let done: Void = id.utf8.withContiguousStorageIfAvailable({ bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }) {
            _ = done
        } else {
            for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }
}
