import RouteModel

/// Where a route points (or should point): an ENI, the router IP on it that vpcrouter matched, and
/// the instance it is attached to; or some other target vpcrouter does not manage.
///
/// A value type with shared immutable storage: a plan holds one per route and table, and most of
/// them point at the same few interfaces, so they share one allocation instead of copying strings.
public struct RouteTarget: Hashable, Sendable, CustomStringConvertible {
    private final class Storage: Sendable {
        let networkInterfaceId: String?
        let instanceId: String?
        let routerAddress: IPAddress?
        let otherId: String?

        init(networkInterfaceId: String?, instanceId: String?, routerAddress: IPAddress?, otherId: String?) {
            self.networkInterfaceId = networkInterfaceId
            self.instanceId = instanceId
            self.routerAddress = routerAddress
            self.otherId = otherId
        }
    }

    private let storage: Storage

    public init(
        networkInterfaceId: String? = nil,
        instanceId: String? = nil,
        routerAddress: IPAddress? = nil,
        otherId: String? = nil
    ) {
        storage = Storage(
            networkInterfaceId: networkInterfaceId, instanceId: instanceId,
            routerAddress: routerAddress, otherId: otherId)
    }

    /// The ENI the route targets; what CreateRoute and ReplaceRoute are given.
    public var networkInterfaceId: String? { storage.networkInterfaceId }
    public var instanceId: String? { storage.instanceId }
    /// The listed router IP found on the interface (primary or secondary), when there is one.
    public var routerAddress: IPAddress? { storage.routerAddress }
    /// A gateway, peering connection or `local`: a target vpcrouter never writes.
    public var otherId: String? { storage.otherId }

    public static func == (lhs: RouteTarget, rhs: RouteTarget) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.networkInterfaceId == rhs.networkInterfaceId && lhs.instanceId == rhs.instanceId
                && lhs.routerAddress == rhs.routerAddress && lhs.otherId == rhs.otherId)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(networkInterfaceId)
        hasher.combine(instanceId)
        hasher.combine(routerAddress)
        hasher.combine(otherId)
    }

    /// For example `10.0.1.5 (eni-0a1b, i-0c2d)` or `igw-12ab`.
    public var description: String {
        if let otherId { return otherId }
        let ids = [networkInterfaceId, instanceId].compactMap { $0 }.joined(separator: ", ")
        guard let routerAddress else { return ids.isEmpty ? "(none)" : ids }
        return ids.isEmpty ? "\(routerAddress)" : "\(routerAddress) (\(ids))"
    }
}
