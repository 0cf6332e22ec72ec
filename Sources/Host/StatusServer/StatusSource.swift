import RouteModel

/// What the status server shows; the daemon provides it. Field names follow vpc-router 1.8.11.
public protocol StatusSource: Sendable {
    /// `GET /`: server version and times, core params.
    func overview() -> JSONValue
    /// `GET /ips`: the current failed, questionable and working sets.
    func ips() -> JSONValue
    /// `GET /plugins`: each plugin's info.
    func plugins() -> JSONValue
    /// `GET /route_info`: the spec, the routes with router, instance and ENI, the ignore list.
    func routeInfo() -> JSONValue
    /// `GET /vpc`: per table, per CIDR: state, router, last action, reason, time.
    func vpc() -> JSONValue
    /// `GET /metrics`: Prometheus text exposition.
    func metrics() -> String
    /// `GET /readyz`: what is still missing before the daemon is ready (empty when ready).
    func readinessGaps() -> [String]
}
