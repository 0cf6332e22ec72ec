import EC2

/// The EC2 client's per-action counters in the Prometheus text format, rendered at scrape time.
enum EC2MetricsText {
    static func render(_ counters: [String: EC2Metrics.ActionCounters]) -> String {
        let actions = counters.keys.sorted()
        var text = ""
        let families: [(String, String, (EC2Metrics.ActionCounters) -> String)] = [
            ("vpcrouter_ec2_calls_total", "EC2 API calls sent, by action", { "\($0.calls)" }),
            ("vpcrouter_ec2_errors_total", "EC2 API calls that failed, by action", { "\($0.errors)" }),
            ("vpcrouter_ec2_retries_total", "EC2 API calls retried, by action", { "\($0.retries)" }),
            ("vpcrouter_ec2_throttles_total", "EC2 throttling answers, by action", { "\($0.throttles)" }),
        ]
        for (name, help, value) in families {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for action in actions { text += "\(name){action=\"\(action)\"} \(value(counters[action]!))\n" }
        }
        return text
    }
}
