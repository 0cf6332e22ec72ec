import ArgumentParser
import Foundation
import RouteModel

/// The core options, named as vpc-router 1.8.11 names them. Every multi-word long option is
/// accepted with `_` and with `-`.
struct CoreOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .customLong("mode")], help: "The mode plugin that supplies route specs (configfile, http, fixedconf, ...).")
    var mode: String

    @Option(name: [.customShort("H"), .customLong("health")], help: "The health plugin that probes the routers.")
    var health: String = "icmpecho"

    @Option(name: [.customShort("r"), .customLong("region")], help: "The AWS region (default: from instance metadata).")
    var region: String?

    @Option(name: [.customShort("v"), .customLong("vpc")], help: "The VPC id (default: from instance metadata).")
    var vpc: String?

    @Option(name: [.customShort("a"), .customLong("address")], help: "Address of the built-in HTTP server.")
    var address: String = "localhost"

    @Option(name: [.customShort("p"), .customLong("port")], help: "Port of the built-in HTTP server (1-65535).")
    var port: Int = 33289

    @Option(name: [.customShort("l"), .customLong("logfile")], help: "Append the log to this file ('-' is stderr).")
    var logfile: String = "-"

    @Flag(name: .customLong("verbose"), help: "Log at debug level.")
    var verbose = false

    @Option(name: [.customLong("route_recheck_interval"), .customLong("route-recheck-interval")],
            help: "Seconds between periodic route checks: 0 turns them off, otherwise at least 5.")
    var routeRecheckInterval: Int = 30

    @Option(name: [.customLong("ignore_routes"), .customLong("ignore-routes")],
            help: "Comma-separated IPs or CIDRs that vpcrouter never creates, changes or deletes (nor anything inside them).")
    var ignoreRoutes: String?

    @Option(name: .customLong("plugin-dir"), help: "A directory to search for plugins first (repeatable).")
    var pluginDirectories: [String] = []

    @Option(name: [.customLong("health-fall"), .customLong("health_fall")],
            help: "Consecutive failed rounds before a router counts as failed.")
    var healthFall: Int = 1

    @Option(name: [.customLong("health-rise"), .customLong("health_rise")],
            help: "Consecutive healthy rounds before a failed router is eligible again.")
    var healthRise: Int = 2

    @Option(name: [.customLong("health-hold-down"), .customLong("health_hold_down")],
            help: "Seconds after its last failed round before a failed router is eligible again (default: 10 x the probe interval).")
    var healthHoldDown: Double?

    @Option(name: [.customLong("state-dir"), .customLong("state_dir")],
            help: "Where vpcrouter keeps the ledger of the routes it manages.")
    var stateDirectory: String = "/var/lib/vpcrouter"

    @Flag(name: [.customLong("dry-run"), .customLong("dry_run")], help: "Log the planned route changes and write none.")
    var dryRun = false

    @Option(name: [.customLong("route-table"), .customLong("route_table")],
            help: "Manage this route table (repeatable) instead of the tables of the routers' subnets.")
    var routeTables: [String] = []

    @Option(name: [.customLong("route-table-tag"), .customLong("route_table_tag")],
            help: "Manage the route tables carrying this tag (key=value) instead of the tables of the routers' subnets.")
    var routeTableTag: String?

    @Flag(name: [.customLong("delete-unowned-routes"), .customLong("delete_unowned_routes")],
          help: "DANGEROUS: like vpc-router 1.x, delete every instance or ENI route in the managed tables that is not in the spec.")
    var deleteUnownedRoutes = false

    @Option(name: [.customLong("http-token-file"), .customLong("http_token_file")],
            help: "A file holding the bearer token that mutating HTTP requests (POST /route_spec) must carry.")
    var httpTokenFile: String?

    @Flag(name: [.customLong("http-insecure"), .customLong("http_insecure")],
          help: "Allow mutating HTTP handlers on a non-loopback address without a bearer token (dangerous).")
    var httpInsecure = false

    /// Checks values the way the original does, with its quirks fixed (65535 is a valid port,
    /// 0 turns the recheck off).
    func validated() throws(UsageError) -> ValidatedCoreOptions {
        guard routeRecheckInterval == 0 || routeRecheckInterval >= 5 else {
            throw UsageError("--route_recheck_interval must be either 0 (off) or at least 5 seconds; got \(routeRecheckInterval)")
        }
        guard (1...65535).contains(port) else {
            throw UsageError("invalid listen port '\(port)' for the built-in HTTP server (1-65535)")
        }
        if address != "localhost", IPv4Address(address) == nil {
            throw UsageError("-a/--address: not a valid IPv4 address or 'localhost' ('\(address)')")
        }
        var ignored: [IPv4CIDR] = []
        if let ignoreRoutes {
            for item in ignoreRoutes.split(separator: ",", omittingEmptySubsequences: false) {
                let text = item.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else {
                    throw UsageError("--ignore_routes: an empty item in '\(ignoreRoutes)'")
                }
                switch IPv4CIDR.parseAddressOrCIDR(text) {
                case .success(let cidr): ignored.append(cidr)
                case .failure(let error): throw UsageError("--ignore_routes: \(error)")
                }
            }
        }
        guard healthFall >= 1, healthRise >= 1 else {
            throw UsageError("--health-fall and --health-rise must be at least 1")
        }
        if let healthHoldDown, !(healthHoldDown >= 0 && healthHoldDown <= 86_400) {
            throw UsageError("--health-hold-down must be between 0 and 86400 seconds; got \(healthHoldDown)")
        }
        if !routeTables.isEmpty && routeTableTag != nil {
            throw UsageError("--route-table and --route-table-tag cannot be combined")
        }
        if let bad = routeTables.first(where: { !$0.hasPrefix("rtb-") }) {
            throw UsageError("--route-table: '\(bad)' is not a route table id (rtb-...)")
        }
        var tag: (String, String)?
        if let routeTableTag {
            let parts = routeTableTag.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw UsageError("--route-table-tag: expected key=value, got '\(routeTableTag)'")
            }
            tag = (String(parts[0]), String(parts[1]))
        }
        var token: String?
        if let httpTokenFile {
            guard let text = try? String(contentsOfFile: httpTokenFile, encoding: .utf8) else {
                throw UsageError("--http-token-file: cannot read '\(httpTokenFile)'")
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count >= 16 else {
                throw UsageError("--http-token-file: the token in '\(httpTokenFile)' is shorter than 16 characters")
            }
            token = trimmed
        }
        return ValidatedCoreOptions(
            mode: mode, health: health, region: region, vpc: vpc, address: address, port: port,
            logfile: logfile, verbose: verbose, routeRecheckInterval: routeRecheckInterval,
            ignoreRoutes: ignored, pluginDirectories: pluginDirectories, httpToken: token, httpInsecure: httpInsecure,
            healthFall: healthFall, healthRise: healthRise, healthHoldDown: healthHoldDown.map { Duration.milliseconds(Int64($0 * 1000)) },
            stateDirectory: stateDirectory, dryRun: dryRun, routeTables: routeTables, routeTableTag: tag,
            deleteUnownedRoutes: deleteUnownedRoutes)
    }

    /// Names plugins may not use for their own options.
    static let reservedLongNames: Set<String> = [
        "mode", "health", "region", "vpc", "address", "port", "logfile", "verbose", "route-recheck-interval",
        "ignore-routes", "plugin-dir", "help", "version", "state-dir", "dry-run", "http-token-file", "http-insecure",
        "health-fall", "health-rise", "health-hold-down", "route-table", "route-table-tag", "delete-unowned-routes",
    ]
    static let reservedShortNames: Set<Character> = ["m", "H", "r", "v", "a", "p", "l", "h"]
}

/// Core options after their values were checked.
struct ValidatedCoreOptions: Sendable {
    var mode: String
    var health: String
    var region: String?
    var vpc: String?
    var address: String
    var port: Int
    var logfile: String
    var verbose: Bool
    var routeRecheckInterval: Int
    var ignoreRoutes: [IPv4CIDR]
    var pluginDirectories: [String]
    /// Never logged or shown.
    var httpToken: String?
    var httpInsecure: Bool
    var healthFall: Int
    var healthRise: Int
    var healthHoldDown: Duration?
    var stateDirectory: String
    var dryRun: Bool
    var routeTables: [String]
    var routeTableTag: (String, String)?
    var deleteUnownedRoutes: Bool
}
