/// A VPC as DescribeVpcs reports it.
public struct VPC: Sendable, Equatable {
    public let vpcId: String
    public let cidrBlock: String?
    public let state: String?
    public let isDefault: Bool

    public init(vpcId: String, cidrBlock: String?, state: String?, isDefault: Bool) {
        self.vpcId = vpcId
        self.cidrBlock = cidrBlock
        self.state = state
        self.isDefault = isDefault
    }

    init?(xml: XMLTreeNode) {
        guard let id = xml.string("vpcId") else { return nil }
        self.init(vpcId: id, cidrBlock: xml.string("cidrBlock"), state: xml.string("state"), isDefault: xml.bool("isDefault") ?? false)
    }
}
