import RouteModel

/// A subnet of the observed VPC.
public struct ObservedSubnet: Equatable, Sendable {
    public var id: String
    public var availabilityZone: String
    public var cidr: IPCIDR

    public init(id: String, availabilityZone: String, cidr: IPCIDR) {
        self.id = id
        self.availabilityZone = availabilityZone
        self.cidr = cidr
    }
}
