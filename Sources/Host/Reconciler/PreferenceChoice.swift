import RouteModel

/// What the plan decided for a CIDR whose routers are in order of preference, for the status
/// pages: which router the operator prefers, which one carries the route, and why.
public struct PreferenceChoice: Equatable, Sendable {
    /// The routers in order of preference.
    public var routers: [IPAddress]
    /// The router the plan leaves the route on or moves it to; nil when none can carry it.
    public var carrier: IPAddress?
    /// Why the route is on `carrier` (or on none), in words.
    public var reason: String
    /// While the route is held on a backup waiting for a router listed before it to have been
    /// healthy for the fail-back hold time: the time left. The daemon plans again then.
    public var failBackDueIn: Duration?

    public init(routers: [IPAddress], carrier: IPAddress?, reason: String, failBackDueIn: Duration? = nil) {
        self.routers = routers
        self.carrier = carrier
        self.reason = reason
        self.failBackDueIn = failBackDueIn
    }

    /// The first listed router: the one meant to carry the route whenever it can.
    public var preferred: IPAddress? { routers.first }

    /// Whole seconds when the value is whole, else one decimal: "4 s", "2.5 s".
    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        if value == value.rounded(.down) { return "\(Int64(value)) s" }
        return "\((value * 10).rounded(.down) / 10) s"
    }
}
