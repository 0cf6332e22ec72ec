import RouteModel

/// One router as `/ips` `routers` and the status page show it: its condition, the last verdict and
/// round-trip time, and its streaks against `--health-fall` and `--health-rise`.
public struct RouterHealthView: Sendable, Equatable {
    public var router: IPAddress
    public var condition: RouterCondition
    public var lastVerdict: HealthVerdict
    public var roundTripTime: Duration?
    public var failingRounds: Int
    public var healthyRounds: Int
    /// For a failed router: how long before it may return, at the earliest.
    public var holdDownRemaining: Duration?

    public init(router: IPAddress, condition: RouterCondition, lastVerdict: HealthVerdict, roundTripTime: Duration?,
                failingRounds: Int, healthyRounds: Int, holdDownRemaining: Duration?) {
        self.router = router
        self.condition = condition
        self.lastVerdict = lastVerdict
        self.roundTripTime = roundTripTime
        self.failingRounds = failingRounds
        self.healthyRounds = healthyRounds
        self.holdDownRemaining = holdDownRemaining
    }
}
