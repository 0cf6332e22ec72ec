import Metrics
import Prometheus

/// The process's metrics: swift-metrics instruments backed by one Prometheus registry, which
/// `/metrics` renders in the text exposition format.
final class DaemonMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let specGeneration: Metrics.Gauge
    let specsAccepted: Metrics.Counter
    let routersByVerdict: [String: Metrics.Gauge]

    init() {
        let factory = PrometheusMetricsFactory(registry: registry)
        specGeneration = Metrics.Gauge(label: "vpcrouter_spec_generation", factory: factory)
        specsAccepted = Metrics.Counter(label: "vpcrouter_specs_accepted_total", factory: factory)
        routersByVerdict = Dictionary(uniqueKeysWithValues: ["healthy", "questionable", "failed", "unknown"].map { verdict in
            (verdict, Metrics.Gauge(label: "vpcrouter_routers", dimensions: [("verdict", verdict)], factory: factory))
        })
    }

    /// Records that a plugin is loaded (value 1, identity in labels).
    func recordPlugin(name: String, kind: String, version: String, abi: String) {
        let factory = PrometheusMetricsFactory(registry: registry)
        Metrics.Gauge(label: "vpcrouter_plugin_info", dimensions: [("name", name), ("kind", kind), ("version", version), ("abi", abi)],
              factory: factory).record(1)
    }

    func exposition() -> String {
        registry.emitToString()
    }
}
