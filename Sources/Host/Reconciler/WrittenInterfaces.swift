/// The network interfaces vpcrouter wrote for one table and destination, in order. Nearly always
/// one; two after a crash between recording a repoint and confirming it. Kept without a
/// collection allocation for the usual single interface.
struct WrittenInterfaces: Hashable, Sendable {
    private var first: String?
    /// Beyond `first`, sorted; empty (and unallocated) in the usual case.
    private var rest: [String] = []

    var isEmpty: Bool { first == nil }
    var count: Int { first == nil ? 0 : 1 + rest.count }
    var all: [String] { first.map { [$0] + rest } ?? [] }

    func contains(_ eni: String) -> Bool { first == eni || rest.contains(eni) }

    /// Returns false when `eni` was already there.
    mutating func insert(_ eni: String) -> Bool {
        guard let current = first else {
            first = eni
            return true
        }
        guard !contains(eni) else { return false }
        // The smallest stays first, so equal sets compare equal.
        if eni < current {
            first = eni
            rest.insert(current, at: 0)
        } else {
            rest.insert(eni, at: rest.firstIndex { $0 > eni } ?? rest.endIndex)
        }
        return true
    }

    /// Returns false when `eni` was not there.
    mutating func remove(_ eni: String) -> Bool {
        if first == eni {
            first = rest.isEmpty ? nil : rest.removeFirst()
            return true
        }
        guard let index = rest.firstIndex(of: eni) else { return false }
        rest.remove(at: index)
        return true
    }
}
