/// A subnet as DescribeSubnets reports it.
public struct Subnet: Sendable, Equatable {
    public let subnetId: String
    public let vpcId: String
    public let cidrBlock: String?
    public let availabilityZone: String?

    public init(subnetId: String, vpcId: String, cidrBlock: String?, availabilityZone: String?) {
        self.subnetId = subnetId
        self.vpcId = vpcId
        self.cidrBlock = cidrBlock
        self.availabilityZone = availabilityZone
    }

    init?(xml: XMLTreeNode) {
        guard let id = xml.string("subnetId"), let vpc = xml.string("vpcId") else { return nil }
        self.init(subnetId: id, vpcId: vpc, cidrBlock: xml.string("cidrBlock"), availabilityZone: xml.string("availabilityZone"))
    }
}
