/// A route table as observed in the VPC.
public struct ObservedRouteTable: Equatable, Sendable {
    public var id: String
    /// The VPC's main table also serves every subnet that has no explicit association.
    public var isMain: Bool
    /// Subnets associated with this table explicitly (the main table's implicit ones are not listed).
    public var subnetIds: [String]
    public var tags: [String: String]
    public var routes: [ObservedRoute]
    /// Routes whose destination is a prefix list (any list, vpcrouter's or not).
    public var prefixListRoutes: [ObservedPrefixListRoute]

    public init(
        id: String,
        isMain: Bool = false,
        subnetIds: [String] = [],
        tags: [String: String] = [:],
        routes: [ObservedRoute] = [],
        prefixListRoutes: [ObservedPrefixListRoute] = []
    ) {
        self.id = id
        self.isMain = isMain
        self.subnetIds = subnetIds
        self.tags = tags
        self.routes = routes
        self.prefixListRoutes = prefixListRoutes
    }
}
