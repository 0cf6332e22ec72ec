import Metrics
import Prometheus
import Synchronization

/// The process's metrics: swift-metrics instruments backed by one Prometheus registry, which
/// `/metrics` renders in the text exposition format.
public final class DaemonMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    public let specGeneration: Metrics.Gauge
    public let specsAccepted: Metrics.Counter
    public let routersByVerdict: [String: Metrics.Gauge]
    public let reconciles: Metrics.Counter
    public let reconcileErrors: Metrics.Counter
    public let writeErrors: Metrics.Counter
    public let failovers: Metrics.Counter
    public let actions: [String: Metrics.Counter]
    /// `--prefix-lists`: prefix-list and prefix-list route writes that succeeded, by verb.
    public let prefixListWrites: [String: Metrics.Counter]
    /// Route writes a follower planned but did not make.
    public let writesSkippedNotLeader: Metrics.Counter
    public let reconcileDuration: Metrics.Timer
    /// From the health change that caused a failover to its route write, and to the route being
    /// visible in a re-read of the table.
    public let detectionToWrite: Metrics.Timer
    public let detectionToVisible: Metrics.Timer
    /// Extra exposition text rendered at scrape time (the EC2 client's per-action counters).
    private let extraSources = Mutex<[@Sendable () -> String]>([])

    public init() {
        let factory = PrometheusMetricsFactory(registry: registry)
        specGeneration = Metrics.Gauge(label: "vpcrouter_spec_generation", factory: factory)
        specsAccepted = Metrics.Counter(label: "vpcrouter_specs_accepted_total", factory: factory)
        routersByVerdict = Dictionary(uniqueKeysWithValues: ["healthy", "suspect", "questionable", "failed", "unknown"].map { verdict in
            (verdict, Metrics.Gauge(label: "vpcrouter_routers", dimensions: [("verdict", verdict)], factory: factory))
        })
        reconciles = Metrics.Counter(label: "vpcrouter_reconciles_total", factory: factory)
        reconcileErrors = Metrics.Counter(label: "vpcrouter_reconcile_observation_errors_total", factory: factory)
        writeErrors = Metrics.Counter(label: "vpcrouter_route_write_errors_total", factory: factory)
        failovers = Metrics.Counter(label: "vpcrouter_failovers_total", factory: factory)
        actions = Dictionary(uniqueKeysWithValues: ["create", "replace", "delete"].map { verb in
            (verb, Metrics.Counter(label: "vpcrouter_route_writes_total", dimensions: [("verb", verb)], factory: factory))
        })
        prefixListWrites = Dictionary(uniqueKeysWithValues: ["create-list", "modify-entries", "delete-list", "create-route", "replace-route",
                                                             "delete-route"].map { verb in
            (verb, Metrics.Counter(label: "vpcrouter_prefix_list_writes_total", dimensions: [("verb", verb)], factory: factory))
        })
        writesSkippedNotLeader = Metrics.Counter(label: "vpcrouter_route_writes_skipped_not_leader_total", factory: factory)
        reconcileDuration = Metrics.Timer(label: "vpcrouter_reconcile_duration_seconds", factory: factory)
        detectionToWrite = Metrics.Timer(label: "vpcrouter_failover_detection_to_write_seconds", factory: factory)
        detectionToVisible = Metrics.Timer(label: "vpcrouter_failover_detection_to_visible_seconds", factory: factory)
    }

    /// Records that a plugin is loaded (value 1, identity in labels).
    public func recordPlugin(name: String, kind: String, version: String, abi: String) {
        let factory = PrometheusMetricsFactory(registry: registry)
        Metrics.Gauge(label: "vpcrouter_plugin_info", dimensions: [("name", name), ("kind", kind), ("version", version), ("abi", abi)],
                      factory: factory).record(1)
    }

    public func addExpositionSource(_ source: @escaping @Sendable () -> String) {
        extraSources.withLock { $0.append(source) }
    }

    public func exposition() -> String {
        Self.withHelp(registry.emitToString()) + extraSources.withLock { $0 }.map { $0() }.joined()
    }

    /// The HELP text of every family made through swift-metrics, which has no place for it.
    static let helpTexts: [String: String] = [
        "vpcrouter_spec_generation": "Generation of the route spec in force (0 before the first)",
        "vpcrouter_specs_accepted_total": "Route specs accepted from the mode plugin",
        "vpcrouter_routers": "Routers in the spec, by the health policy's current verdict",
        "vpcrouter_reconciles_total": "Reconcile passes run (observe, plan, apply)",
        "vpcrouter_reconcile_observation_errors_total": "Reconcile passes that ended because the VPC could not be read",
        "vpcrouter_route_write_errors_total": "Route writes (create, replace, delete) that EC2 refused or that failed",
        "vpcrouter_failovers_total": "Routes moved away from a router that cannot carry traffic",
        "vpcrouter_route_writes_total": "Route writes that succeeded, by verb",
        "vpcrouter_prefix_list_writes_total": "Prefix-list writes (--prefix-lists: lists, their entries, routes to them) that succeeded, by verb",
        "vpcrouter_route_writes_skipped_not_leader_total": "Route writes planned but not made because this replica is not the leader",
        "vpcrouter_reconcile_duration_seconds": "Time one reconcile pass took",
        "vpcrouter_failover_detection_to_write_seconds": "From the health change that caused a failover to EC2's answer to its route write",
        "vpcrouter_failover_detection_to_visible_seconds": "From the health change that caused a failover to the route being visible in the tables",
        "vpcrouter_plugin_info": "A loaded plugin (always 1; name, kind, version and ABI in labels)",
    ]

    /// Adds a HELP line before the TYPE line of each family that has none.
    static func withHelp(_ text: String) -> String {
        var output: [Substring] = []
        var helped: Set<Substring> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let words = line.split(separator: " ")
            if words.count >= 3, words[0] == "#", words[1] == "HELP" { helped.insert(words[2]) }
            if words.count >= 4, words[0] == "#", words[1] == "TYPE", !helped.contains(words[2]) {
                output.append("# HELP \(words[2]) \(helpTexts[String(words[2])] ?? String(words[2]).replacing("_", with: " "))")
                helped.insert(words[2])
            }
            output.append(line)
        }
        return output.joined(separator: "\n")
    }
}
