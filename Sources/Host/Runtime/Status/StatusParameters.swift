import RouteModel

/// The command-line parameters `/` shows under `params`, as the original names them.
public struct StatusParameters: Sendable {
    public var region: String?
    public var vpc: String?
    public var address: String
    public var port: Int
    public var logfile: String
    public var verbose: Bool
    public var routeRecheckInterval: Int
    public var ignoreRoutes: [IPCIDR]

    public init(region: String?, vpc: String?, address: String, port: Int, logfile: String, verbose: Bool, routeRecheckInterval: Int,
                ignoreRoutes: [IPCIDR]) {
        self.region = region
        self.vpc = vpc
        self.address = address
        self.port = port
        self.logfile = logfile
        self.verbose = verbose
        self.routeRecheckInterval = routeRecheckInterval
        self.ignoreRoutes = ignoreRoutes
    }
}
