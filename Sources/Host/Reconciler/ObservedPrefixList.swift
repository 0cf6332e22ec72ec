import RouteModel

/// A customer-managed prefix list as observed: only the lists tagged for this VPC are read
/// (`PrefixListGroup.vpcTagKey`), with their entries at the version described.
public struct ObservedPrefixList: Equatable, Sendable {
    public var id: String
    public var name: String
    public var tags: [String: String]
    /// The version `ModifyManagedPrefixList` must name as current.
    public var version: Int
    /// What the list costs in every route table that routes to it, whatever its entries.
    public var maxEntries: Int
    /// Sorted.
    public var entries: [IPCIDR]
    /// EC2's state (`create-complete`, `modify-in-progress`, `delete-complete`...); a list being
    /// deleted is as good as gone.
    public var state: String

    public init(id: String, name: String = "", tags: [String: String] = [:], version: Int = 1, maxEntries: Int,
                entries: [IPCIDR] = [], state: String = "create-complete") {
        self.id = id
        self.name = name
        self.tags = tags
        self.version = version
        self.maxEntries = maxEntries
        self.entries = entries.sorted()
        self.state = state
    }

    /// False once a delete has been accepted for it.
    public var isLive: Bool { !state.hasPrefix("delete") }
}

/// A route whose destination is a prefix list.
public struct ObservedPrefixListRoute: Equatable, Sendable {
    public var prefixListId: String
    public var target: ObservedRoute.Target
    public var state: ObservedRoute.State
    public var origin: ObservedRoute.Origin

    public init(prefixListId: String, target: ObservedRoute.Target, state: ObservedRoute.State = .active,
                origin: ObservedRoute.Origin = .createRoute) {
        self.prefixListId = prefixListId
        self.target = target
        self.state = state
        self.origin = origin
    }

    /// The ENI the route reaches, when it targets one.
    var networkInterfaceId: String? {
        if case .networkInterface(let id, _) = target { return id }
        return nil
    }
}
