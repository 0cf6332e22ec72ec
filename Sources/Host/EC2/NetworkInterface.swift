import RouteModel

/// An ENI as DescribeNetworkInterfaces reports it, with every private IPv4 address and every IPv6
/// address it holds.
public struct NetworkInterface: Sendable, Equatable {
    public struct PrivateAddress: Sendable, Equatable {
        public let address: String
        public let isPrimary: Bool

        public init(address: String, isPrimary: Bool) {
            self.address = address
            self.isPrimary = isPrimary
        }
    }

    public struct Attachment: Sendable, Equatable {
        public let attachmentId: String?
        public let instanceId: String?
        public let deviceIndex: Int?
        public let status: String?

        public init(attachmentId: String?, instanceId: String?, deviceIndex: Int?, status: String?) {
            self.attachmentId = attachmentId
            self.instanceId = instanceId
            self.deviceIndex = deviceIndex
            self.status = status
        }
    }

    public let networkInterfaceId: String
    public let subnetId: String?
    public let vpcId: String?
    public let availabilityZone: String?
    public let status: String?
    public let sourceDestCheck: Bool
    public let attachment: Attachment?
    /// Primary first, then secondary addresses, as EC2 lists them.
    public let privateAddresses: [PrivateAddress]
    /// The IPv6 addresses (`ipv6AddressesSet`), as EC2 wrote them.
    public let ipv6Addresses: [String]

    public init(
        networkInterfaceId: String, subnetId: String?, vpcId: String?, availabilityZone: String?, status: String?,
        sourceDestCheck: Bool, attachment: Attachment?, privateAddresses: [PrivateAddress], ipv6Addresses: [String] = []
    ) {
        self.networkInterfaceId = networkInterfaceId
        self.subnetId = subnetId
        self.vpcId = vpcId
        self.availabilityZone = availabilityZone
        self.status = status
        self.sourceDestCheck = sourceDestCheck
        self.attachment = attachment
        self.privateAddresses = privateAddresses
        self.ipv6Addresses = ipv6Addresses
    }

    init?(xml: XMLTreeNode) {
        guard let id = xml.string("networkInterfaceId") else { return nil }
        var addresses = xml.items("privateIpAddressesSet").compactMap { item -> PrivateAddress? in
            guard let ip = item.string("privateIpAddress") else { return nil }
            return PrivateAddress(address: ip, isPrimary: item.bool("primary") ?? false)
        }
        // Some answers carry only the top-level primary address.
        if let primary = xml.string("privateIpAddress"), !addresses.contains(where: { $0.address == primary }) {
            addresses.insert(PrivateAddress(address: primary, isPrimary: true), at: 0)
        }
        let attachment = xml.child("attachment").map {
            Attachment(
                attachmentId: $0.string("attachmentId"), instanceId: $0.string("instanceId"),
                deviceIndex: $0.string("deviceIndex").flatMap { Int($0) }, status: $0.string("status"))
        }
        self.init(
            networkInterfaceId: id, subnetId: xml.string("subnetId"), vpcId: xml.string("vpcId"),
            availabilityZone: xml.string("availabilityZone"), status: xml.string("status"),
            sourceDestCheck: xml.bool("sourceDestCheck") ?? true, attachment: attachment, privateAddresses: addresses,
            ipv6Addresses: xml.items("ipv6AddressesSet").compactMap { $0.string("ipv6Address") })
    }

    public var primaryAddress: String? { privateAddresses.first { $0.isPrimary }?.address ?? privateAddresses.first?.address }
    public var instanceId: String? { attachment?.instanceId }

    /// True when `address` is one of the ENI's private IPv4 or IPv6 addresses (IPv6 compared canonically).
    public func holds(_ address: String) -> Bool {
        if privateAddresses.contains(where: { $0.address == address }) || ipv6Addresses.contains(address) { return true }
        guard let wanted = IPAddress(address), wanted.family == .v6 else { return false }
        return ipv6Addresses.contains { IPAddress($0) == wanted }
    }
}
