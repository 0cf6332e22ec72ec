import RouteModel

/// A route table with its routes and subnet associations, as DescribeRouteTables reports it.
public struct RouteTable: Sendable, Equatable {
    public struct Route: Sendable, Equatable {
        /// IPv4 destination; nil for IPv6 or prefix-list routes.
        public let destinationCidrBlock: String?
        /// IPv6 destination; nil for IPv4 or prefix-list routes.
        public let destinationIpv6CidrBlock: String?
        public let destinationPrefixListId: String?
        public let gatewayId: String?
        public let instanceId: String?
        public let networkInterfaceId: String?
        public let natGatewayId: String?
        public let transitGatewayId: String?
        public let vpcPeeringConnectionId: String?
        /// "active" or "blackhole".
        public let state: String?
        /// "CreateRouteTable", "CreateRoute" or "EnableVgwRoutePropagation".
        public let origin: String?

        public init(
            destinationCidrBlock: String?, destinationIpv6CidrBlock: String? = nil, destinationPrefixListId: String? = nil, gatewayId: String? = nil,
            instanceId: String? = nil, networkInterfaceId: String? = nil, natGatewayId: String? = nil,
            transitGatewayId: String? = nil, vpcPeeringConnectionId: String? = nil, state: String? = nil, origin: String? = nil
        ) {
            self.destinationCidrBlock = destinationCidrBlock
            self.destinationIpv6CidrBlock = destinationIpv6CidrBlock
            self.destinationPrefixListId = destinationPrefixListId
            self.gatewayId = gatewayId
            self.instanceId = instanceId
            self.networkInterfaceId = networkInterfaceId
            self.natGatewayId = natGatewayId
            self.transitGatewayId = transitGatewayId
            self.vpcPeeringConnectionId = vpcPeeringConnectionId
            self.state = state
            self.origin = origin
        }

        init(xml: XMLTreeNode) {
            self.init(
                destinationCidrBlock: xml.string("destinationCidrBlock"),
                destinationIpv6CidrBlock: xml.string("destinationIpv6CidrBlock"),
                destinationPrefixListId: xml.string("destinationPrefixListId"),
                gatewayId: xml.string("gatewayId"), instanceId: xml.string("instanceId"),
                networkInterfaceId: xml.string("networkInterfaceId"), natGatewayId: xml.string("natGatewayId"),
                transitGatewayId: xml.string("transitGatewayId"),
                vpcPeeringConnectionId: xml.string("vpcPeeringConnectionId"),
                state: xml.string("state"), origin: xml.string("origin"))
        }

        public var isBlackhole: Bool { state == "blackhole" }

        /// The destination CIDR of either family as EC2 wrote it; nil for a prefix-list route.
        public var destination: String? { destinationCidrBlock ?? destinationIpv6CidrBlock }
    }

    public struct Association: Sendable, Equatable {
        public let associationId: String?
        /// True for the VPC's main table association (which has no subnet).
        public let isMain: Bool
        /// The explicitly associated subnet, if any.
        public let subnetId: String?
        public let gatewayId: String?
        public let state: String?

        public init(associationId: String?, isMain: Bool, subnetId: String?, gatewayId: String? = nil, state: String?) {
            self.associationId = associationId
            self.isMain = isMain
            self.subnetId = subnetId
            self.gatewayId = gatewayId
            self.state = state
        }

        init(xml: XMLTreeNode) {
            self.init(
                associationId: xml.string("routeTableAssociationId"), isMain: xml.bool("main") ?? false,
                subnetId: xml.string("subnetId"), gatewayId: xml.string("gatewayId"),
                state: xml.child("associationState")?.string("state"))
        }
    }

    public let routeTableId: String
    public let vpcId: String
    public let routes: [Route]
    public let associations: [Association]
    public let tags: [String: String]

    public init(routeTableId: String, vpcId: String, routes: [Route], associations: [Association], tags: [String: String] = [:]) {
        self.routeTableId = routeTableId
        self.vpcId = vpcId
        self.routes = routes
        self.associations = associations
        self.tags = tags
    }

    init?(xml: XMLTreeNode) {
        guard let id = xml.string("routeTableId"), let vpc = xml.string("vpcId") else { return nil }
        self.init(
            routeTableId: id, vpcId: vpc,
            routes: xml.items("routeSet").map(Route.init(xml:)),
            associations: xml.items("associationSet").map(Association.init(xml:)),
            tags: Dictionary(xml.items("tagSet").compactMap { item in item.string("key").map { ($0, item.string("value") ?? "") } }, uniquingKeysWith: { a, _ in a }))
    }

    /// True when this is the VPC's main route table.
    public var isMain: Bool { associations.contains { $0.isMain } }

    /// Subnets explicitly associated with this table.
    public var subnetIds: [String] { associations.compactMap(\.subnetId) }

    /// The route for exactly this destination text (IPv4 or IPv6, as EC2 wrote it), if present.
    public func route(to destination: String) -> Route? {
        routes.first { $0.destination == destination }
    }

    /// The route for this destination, whatever text EC2 used for it (IPv6 compared canonically).
    public func route(to destination: IPCIDR) -> Route? {
        routes.first { route in route.destination.flatMap { IPCIDR($0) } == destination }
    }
}
