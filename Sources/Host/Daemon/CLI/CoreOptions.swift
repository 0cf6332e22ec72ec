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
            ignoreRoutes: ignored, pluginDirectories: pluginDirectories, httpToken: token, httpInsecure: httpInsecure)
    }

    /// Names plugins may not use for their own options.
    static let reservedLongNames: Set<String> = [
        "mode", "health", "region", "vpc", "address", "port", "logfile", "verbose", "route-recheck-interval",
        "ignore-routes", "plugin-dir", "help", "version", "state-dir", "dry-run", "http-token-file", "http-insecure",
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
}
