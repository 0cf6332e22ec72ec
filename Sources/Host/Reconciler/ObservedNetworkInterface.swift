import RouteModel

/// A network interface (ENI) of the observed VPC, with the instance it is attached to.
public struct ObservedNetworkInterface: Equatable, Sendable {
    /// The EC2 instance lifecycle states. Only pending and running instances can forward.
    public enum InstanceState: String, Equatable, Sendable {
        case pending, running, stopping, stopped
        case shuttingDown = "shutting-down"
        case terminated

        var canForward: Bool { self == .pending || self == .running }
    }

    public var id: String
    public var subnetId: String
    /// nil when the interface is not attached to an instance.
    public var attachedInstanceId: String?
    /// nil when the observation did not include the instance's state.
    public var instanceState: InstanceState?
    /// Every address of the interface: the primary private IPv4, the secondary ones, then its IPv6
    /// addresses. A spec router naming any of them is this interface.
    public var privateAddresses: [IPAddress]

    public init(
        id: String,
        subnetId: String,
        attachedInstanceId: String?,
        instanceState: InstanceState? = .running,
        privateAddresses: [IPAddress]
    ) {
        self.id = id
        self.subnetId = subnetId
        self.attachedInstanceId = attachedInstanceId
        self.instanceState = instanceState
        self.privateAddresses = privateAddresses
    }

    public var primaryAddress: IPAddress? { privateAddresses.first }

    /// Why a route through this interface cannot carry traffic, or nil when it can.
    /// An unknown instance state counts as able to forward: an instance missing from the answer (in
    /// another VPC, just launched) or a failed DescribeInstances is missing data, not a stopped
    /// router, and refusing it would fail routes over on missing data.
    var forwardingProblem: ForwardingProblem? {
        guard attachedInstanceId != nil else { return .detached }
        if let state = instanceState, !state.canForward { return .instanceNotRunning(state) }
        return nil
    }

    enum ForwardingProblem: Equatable {
        case detached
        case instanceNotRunning(InstanceState)
    }
}
