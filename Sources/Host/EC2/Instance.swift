/// The little of an instance the router needs: is it still able to route?
public struct Instance: Sendable, Equatable {
    public let instanceId: String
    /// "pending", "running", "shutting-down", "terminated", "stopping" or "stopped".
    public let state: String
    public let privateIpAddress: String?
    public let subnetId: String?
    public let vpcId: String?

    public init(instanceId: String, state: String, privateIpAddress: String?, subnetId: String?, vpcId: String?) {
        self.instanceId = instanceId
        self.state = state
        self.privateIpAddress = privateIpAddress
        self.subnetId = subnetId
        self.vpcId = vpcId
    }

    init?(xml: XMLTreeNode) {
        guard let id = xml.string("instanceId") else { return nil }
        self.init(
            instanceId: id, state: xml.child("instanceState")?.string("name") ?? "unknown",
            privateIpAddress: xml.string("privateIpAddress"), subnetId: xml.string("subnetId"), vpcId: xml.string("vpcId"))
    }

    /// Stopped or terminated instances cannot forward traffic whatever their ENI says.
    public var isGone: Bool { ["stopping", "stopped", "shutting-down", "terminated"].contains(state) }
}
