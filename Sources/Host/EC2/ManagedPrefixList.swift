import RouteModel

/// A customer-managed prefix list as DescribeManagedPrefixLists reports it (entries are read apart,
/// with GetManagedPrefixListEntries).
public struct ManagedPrefixList: Sendable, Equatable {
    public let prefixListId: String
    public let name: String?
    public let state: String?
    public let version: Int?
    public let maxEntries: Int?
    public let ownerId: String?
    public let tags: [String: String]

    public init(prefixListId: String, name: String?, state: String?, version: Int?, maxEntries: Int?, ownerId: String?, tags: [String: String]) {
        self.prefixListId = prefixListId
        self.name = name
        self.state = state
        self.version = version
        self.maxEntries = maxEntries
        self.ownerId = ownerId
        self.tags = tags
    }

    init?(xml: XMLTreeNode) {
        guard let id = xml.string("prefixListId") else { return nil }
        self.init(
            prefixListId: id, name: xml.string("prefixListName"), state: xml.string("state"),
            version: xml.string("version").flatMap { Int($0) }, maxEntries: xml.string("maxEntries").flatMap { Int($0) },
            ownerId: xml.string("ownerId"),
            tags: Dictionary(xml.items("tagSet").compactMap { item in item.string("key").map { ($0, item.string("value") ?? "") } },
                             uniquingKeysWith: { first, _ in first }))
    }
}
