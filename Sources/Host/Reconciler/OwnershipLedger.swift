import RouteModel

/// The CIDRs vpcrouter has managed. Only these (and spec CIDRs) may ever be deleted by it.
///
/// Persisted across restarts so that a CIDR dropped from the spec while the daemon was down is
/// still cleaned up, and a route that was never vpcrouter's is never taken for one.
public struct OwnershipLedger: Equatable, Sendable, Codable {
    public private(set) var cidrs: Set<IPv4CIDR>

    public init(_ cidrs: some Sequence<IPv4CIDR> = []) {
        self.cidrs = Set(cidrs)
    }

    public func contains(_ cidr: IPv4CIDR) -> Bool { cidrs.contains(cidr) }

    public var sortedCIDRs: [IPv4CIDR] { cidrs.sorted() }

    public var isEmpty: Bool { cidrs.isEmpty }

    // The file format: {"version": 1, "cidrs": ["10.1.0.0/16", ...]}, CIDRs sorted so that
    // the same ledger always gives the same bytes.
    private enum CodingKeys: String, CodingKey { case version, cidrs }

    public static let formatVersion = 1

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "unsupported ledger version \(version); this build reads version \(Self.formatVersion)")
        }
        var parsed = Set<IPv4CIDR>()
        for text in try container.decode([String].self, forKey: .cidrs) {
            switch IPv4CIDR.parse(text) {
            case .success(let cidr): parsed.insert(cidr)
            case .failure(let error):
                throw DecodingError.dataCorruptedError(
                    forKey: .cidrs, in: container, debugDescription: error.description)
            }
        }
        cidrs = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(sortedCIDRs.map(\.description), forKey: .cidrs)
    }
}
