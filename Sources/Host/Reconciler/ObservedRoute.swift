import RouteModel

/// One route in an observed route table.
public struct ObservedRoute: Equatable, Sendable {
    /// Where the route sends traffic.
    public enum Target: Equatable, Sendable {
        /// A network interface; EC2 also reports the instance it was attached to, when it knows one.
        case networkInterface(id: String, instanceId: String?)
        /// An instance without an interface id (routes created with `InstanceId` only).
        case instance(id: String)
        /// Anything vpcrouter never manages: `local`, internet, NAT, VPN or transit gateways, peering.
        case other(id: String)
    }

    public enum State: String, Equatable, Sendable {
        case active
        /// The target no longer exists or cannot forward; traffic is dropped.
        case blackhole
    }

    /// How the route came to be. Only `createRoute` routes can be replaced or deleted; anything
    /// else, including an origin EC2 did not report or one this build does not know, is foreign.
    public enum Origin: String, Equatable, Sendable {
        case createRouteTable
        case createRoute
        case enableVgwRoutePropagation
        /// Missing from the answer, or a value this build does not know: never written (fail closed).
        case unknown

        /// From EC2's `origin` field (`CreateRouteTable`, `CreateRoute`, `EnableVgwRoutePropagation`).
        public init(ec2Value: String?) {
            switch ec2Value {
            case "CreateRouteTable": self = .createRouteTable
            case "CreateRoute": self = .createRoute
            case "EnableVgwRoutePropagation": self = .enableVgwRoutePropagation
            default: self = .unknown
            }
        }
    }

    public var destination: IPCIDR
    public var target: Target
    public var state: State
    public var origin: Origin

    public init(destination: IPCIDR, target: Target, state: State = .active, origin: Origin = .createRoute) {
        self.destination = destination
        self.target = target
        self.state = state
        self.origin = origin
    }

    /// True for routes to an instance or a network interface made with CreateRoute: the only kind
    /// vpcrouter ever writes, and so the only kind it may replace or delete.
    var isInstanceRoute: Bool {
        guard origin == .createRoute else { return false }
        if case .other = target { return false }
        return true
    }
}
