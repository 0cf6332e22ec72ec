import ArgumentParser
import EtcdClient
import FoundationEssentials
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

    @Flag(name: [.customLong("allow-untrusted-plugins"), .customLong("allow_untrusted_plugins")],
          help: "Load plugin files that others than root and this user could have written, with a warning (development only).")
    var allowUntrustedPlugins = false

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
            help: "Where vpcrouter keeps the ledger of the routes it manages (default: /var/lib/vpcrouter for root; otherwise systemd's $STATE_DIRECTORY, else $XDG_STATE_HOME/vpcrouter or ~/.local/state/vpcrouter).")
    var stateDirectory: String?

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

    @Option(name: [.customLong("fail-back-after"), .customLong("fail_back_after")],
            help: "For CIDRs whose routers are in order of preference: move a route from a backup back to a router listed before it once that router has been healthy without a break for this many seconds (default: off, routes stay on the backup).")
    var failBackAfter: Double?

    @Flag(name: [.customLong("prefix-lists"), .customLong("prefix_lists")],
          help: "CIDRs that share their router list share one customer-managed prefix list and one route per table, so a router's death is one ReplaceRoute per table and group. Off again: vpcrouter moves back to per-CIDR routes and deletes its lists.")
    var prefixLists = false

    @Option(name: [.customLong("route-table-quota"), .customLong("route_table_quota")],
            help: "The routes a route table may hold (EC2's default 50; raised on request). With --prefix-lists a list counts as its maximum entries in every table that routes to it; a spec over the quota gets no lists.")
    var routeTableQuota: Int = 50

    @Option(name: [.customLong("http-token-file"), .customLong("http_token_file")],
            help: "A file holding the bearer token that mutating HTTP requests (POST /route_spec) must carry.")
    var httpTokenFile: String?

    @Flag(name: [.customLong("http-insecure"), .customLong("http_insecure")],
          help: "Allow mutating HTTP handlers on a non-loopback address without a bearer token (dangerous).")
    var httpInsecure = false

    @Option(name: [.customLong("leader-election"), .customLong("leader_election")],
            help: "none, or etcd: replicas elect one writer through an etcd lease; the others only observe and plan.")
    var leaderElection: String = "none"

    @Option(name: [.customLong("leader-etcd-endpoints"), .customLong("leader_etcd_endpoints")],
            help: "Comma-separated etcd client URLs (http://host[:port], port 2379 if none) for leader election (default: http://127.0.0.1:2379).")
    var leaderEtcdEndpoints: String?

    @Option(name: [.customLong("leader-key"), .customLong("leader_key")],
            help: "The etcd key the leader holds (default: /vpcrouter/leader); replicas managing the same VPC share it.")
    var leaderKey: String?

    @Option(name: [.customLong("leader-lease-ttl"), .customLong("leader_lease_ttl")],
            help: "Seconds of the leader's etcd lease, 2-300 (default: 5); a dead leader is replaced within about this time.")
    var leaderLeaseTTL: Int?

    @Option(name: [.customLong("leader-id"), .customLong("leader_id")],
            help: "This replica's name in the leader key (default: host name and process id).")
    var leaderId: String?

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
        var ignored: [IPCIDR] = []
        if let ignoreRoutes {
            for item in ignoreRoutes.split(separator: ",", omittingEmptySubsequences: false) {
                let text = item.trimmingWhitespace()
                guard !text.isEmpty else {
                    throw UsageError("--ignore_routes: an empty item in '\(ignoreRoutes)'")
                }
                switch IPCIDR.parseAddressOrCIDR(text) {
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
        if let failBackAfter, !(failBackAfter >= 0 && failBackAfter <= 86_400) {
            throw UsageError("--fail-back-after must be between 0 and 86400 seconds; got \(failBackAfter)")
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
            let trimmed = text.trimmingWhitespaceAndNewlines()
            guard trimmed.count >= 16 else {
                throw UsageError("--http-token-file: the token in '\(httpTokenFile)' is shorter than 16 characters")
            }
            token = trimmed
        }
        let leadership = try validatedLeaderElection()
        guard (1...100_000).contains(routeTableQuota) else {
            throw UsageError("--route-table-quota must be between 1 and 100000; got \(routeTableQuota)")
        }
        return ValidatedCoreOptions(
            mode: mode, health: health, region: region, vpc: vpc, address: address, port: port,
            logfile: logfile, verbose: verbose, routeRecheckInterval: routeRecheckInterval,
            ignoreRoutes: ignored, pluginDirectories: pluginDirectories,
            allowUntrustedPlugins: allowUntrustedPlugins, httpToken: token, httpInsecure: httpInsecure,
            healthFall: healthFall, healthRise: healthRise, healthHoldDown: healthHoldDown.map { Duration.milliseconds(Int64($0 * 1000)) },
            stateDirectory: stateDirectory ?? StateDirectoryDefault.path(), stateDirectoryGiven: stateDirectory != nil, dryRun: dryRun, routeTables: routeTables, routeTableTag: tag,
            deleteUnownedRoutes: deleteUnownedRoutes, failBackAfter: failBackAfter.map { Duration.milliseconds(Int64($0 * 1000)) },
            leaderElection: leadership, prefixLists: prefixLists, routeTableQuota: routeTableQuota)
    }

    func validatedLeaderElection() throws(UsageError) -> LeaderElectionOptions? {
        switch leaderElection {
        case "none":
            let given = [("--leader-etcd-endpoints", leaderEtcdEndpoints), ("--leader-key", leaderKey),
                         ("--leader-lease-ttl", leaderLeaseTTL.map(String.init)), ("--leader-id", leaderId)]
            if let (name, _) = given.first(where: { $0.1 != nil }) {
                throw UsageError("\(name) needs --leader-election etcd")
            }
            return nil
        case "etcd":
            break
        default:
            throw UsageError("--leader-election: expected none or etcd, got '\(leaderElection)'")
        }
        let endpoints: [EtcdEndpoint]
        switch EtcdEndpoint.parseList(leaderEtcdEndpoints ?? "http://127.0.0.1:2379", option: "--leader-etcd-endpoints") {
        case .success(let parsed): endpoints = parsed
        case .failure(let problem): throw UsageError(problem.message)
        }
        let ttl = leaderLeaseTTL ?? 5
        guard (2...300).contains(ttl) else {
            throw UsageError("--leader-lease-ttl must be between 2 and 300 seconds; got \(ttl)")
        }
        let key = leaderKey ?? "/vpcrouter/leader"
        guard !key.isEmpty else { throw UsageError("--leader-key must not be empty") }
        let identity = leaderId ?? "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)"
        guard !identity.isEmpty else { throw UsageError("--leader-id must not be empty") }
        return LeaderElectionOptions(endpoints: endpoints.map(\.url), key: key, ttl: .seconds(ttl), identity: identity)
    }

    /// Names plugins may not use for their own options.
    static let reservedLongNames: Set<String> = [
        "mode", "health", "region", "vpc", "address", "port", "logfile", "verbose", "route-recheck-interval",
        "ignore-routes", "plugin-dir", "allow-untrusted-plugins", "help", "version", "state-dir", "dry-run", "http-token-file", "http-insecure",
        "health-fall", "health-rise", "health-hold-down", "route-table", "route-table-tag", "delete-unowned-routes",
        "fail-back-after", "prefix-lists", "route-table-quota",
        "leader-election", "leader-etcd-endpoints", "leader-key", "leader-lease-ttl", "leader-id",
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
    var ignoreRoutes: [IPCIDR]
    var pluginDirectories: [String]
    var allowUntrustedPlugins: Bool
    /// Never logged or shown.
    var httpToken: String?
    var httpInsecure: Bool
    var healthFall: Int
    var healthRise: Int
    var healthHoldDown: Duration?
    var stateDirectory: String
    /// False when the default was taken: a failure then says how to choose another.
    var stateDirectoryGiven = true
    var dryRun: Bool
    var routeTables: [String]
    var routeTableTag: (String, String)?
    var deleteUnownedRoutes: Bool
    /// Nil: no fail-back.
    var failBackAfter: Duration?
    /// Nil without leader election.
    var leaderElection: LeaderElectionOptions?
    var prefixLists = false
    var routeTableQuota = 50
}

/// `--leader-election etcd` and its settings, checked.
struct LeaderElectionOptions: Sendable {
    var endpoints: [URL]
    var key: String
    var ttl: Duration
    var identity: String
}
