import RouteModel

/// The operator's page at `/`: which CIDR is on which router in which table, which routers are
/// failing, what was just decided and why, readiness and leadership. Complete HTML on the first
/// load (readable without JavaScript); `dashboard.js` then fetches the same page every two
/// seconds and swaps its `<main>`, so the script and the server never render differently.
enum DashboardPage {
    /// Strict: nothing inline, nothing from elsewhere; the script and stylesheet are the daemon's own.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func html(_ documents: DashboardDocuments) -> String {
        let vpcId = documents.overview["params"]?["vpc_id"]?.stringValue ?? "(VPC unknown)"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>vpcrouter: \(escape(vpcId))</title>
            <link rel="stylesheet" href="/ui/dashboard.css"><script src="/ui/dashboard.js" defer></script></head>
            <body><div id="connection" class="connection" hidden></div>
            \(main(documents))
            <footer>As documents: <a href="/vpc">/vpc</a> · <a href="/route_info">/route_info</a> · \
            <a href="/ips">/ips</a> · <a href="/plugins">/plugins</a> · <a href="/metrics">/metrics</a> · <a href="/readyz">/readyz</a></footer>
            </body></html>

            """
    }

    static func main(_ documents: DashboardDocuments) -> String {
        let time = documents.overview["SERVER"]?["current_time"]?.stringValue ?? ""
        return "<main id=\"dashboard\" data-time=\"\(escape(time))\">"
            + summary(documents) + routeGrid(documents) + routers(documents) + decisions(documents)
            + "</main>"
    }

    // MARK: - Sections

    static func specLine(_ spec: JSONValue?, mode: String) -> String {
        guard let spec, spec != .null else { return "none yet from the \(mode) mode" }
        let generation = Int(spec["generation"]?.numberValue ?? 0)
        return "\(Int(spec["cidrs"]?.numberValue ?? 0)) CIDRs, generation \(generation) from \(spec["plugin"]?.stringValue ?? mode), accepted \(spec["accepted"]?.stringValue ?? "?")"
    }

    static func summary(_ documents: DashboardDocuments) -> String {
        let params = documents.overview["params"]
        let leadership = documents.overview["leadership"]
        let role = leadership?["role"]?.stringValue ?? "leader"
        var roleText = role == "leader" ? "writing (leader)" : "not writing (\(role))"
        if leadership?["election"]?.stringValue == "none" { roleText = "writing (no leader election)" }
        if let holder = leadership?["holder"]?.stringValue { roleText += "; lease held by \(holder)" }
        let ready = documents.readinessGaps.isEmpty
        let readiness = ready ? "ready" : "waiting for " + documents.readinessGaps.joined(separator: "; ")
        var rows: [(String, String, String)] = [
            ("VPC", "\(params?["vpc_id"]?.stringValue ?? "?") in \(params?["region_name"]?.stringValue ?? "?")", ""),
            ("Readiness", readiness, ready ? "good" : "bad"),
            ("Role", roleText, role == "leader" ? "good" : "warn"),
            ("Route spec", specLine(documents.overview["spec"], mode: params?["mode"]?.stringValue ?? "?")
                + "; health by \(params?["health"]?.stringValue ?? "?")", documents.overview["spec"] == .null ? "warn" : ""),
            ("Health rounds", "\(Int(documents.ips["health_rounds"]?.numberValue ?? 0))", ""),
        ]
        if let ec2 = documents.overview["ec2"], ec2 != .null {
            let count = { (key: String) in Int(ec2[key]?.numberValue ?? 0) }
            let wait = ec2["budget_wait_s"]?.numberValue ?? 0
            rows.append(("EC2 calls", "\(count("calls")) sent, \(count("throttles")) throttled, \(count("retries")) retried, "
                + "\(count("errors")) failed; \((wait * 10).rounded() / 10) s waited for the client's budget", count("throttles") > 0 ? "warn" : ""))
        }
        if let retry = documents.vpc["retry"], let failed = retry["failed_passes"]?.numberValue, failed > 0 {
            let delay = retry["next_delay_s"]?.numberValue.map { String(format1: $0) + " s" } ?? "-"
            rows.append(("Retrying", "\(Int(failed)) failed passes in a row; next try in \(delay): \(retry["last_problem"]?.stringValue ?? "")", "bad"))
        }
        for note in documents.vpc["notes"]?.strings ?? [] { rows.append(("Note", note, "warn")) }
        let body = rows.map { label, value, tone in
            "<tr><th>\(escape(label))</th><td class=\"\(tone)\" data-field=\"\(escape(label.lowercased()))\">\(escape(value))</td></tr>"
        }.joined()
        return "<section><h1>vpcrouter</h1><table class=\"summary\">\(body)</table></section>"
    }

    /// Route tables across, CIDRs down: the router each route points at, coloured by its state.
    static func routeGrid(_ documents: DashboardDocuments) -> String {
        let tables = documents.vpc["route_tables"]?.members ?? []
        let shown = tables.filter { _, table in table["managed"]?.boolValue == true || !(table["routes"]?.members.isEmpty ?? true) }
        var cidrs: [String] = []
        var seen: Set<String> = []
        for (_, table) in shown {
            for (cidr, _) in table["routes"]?.members ?? [] where seen.insert(cidr).inserted { cidrs.append(cidr) }
        }
        cidrs.sort(by: inAddressOrder(IPCIDR.init))
        guard !shown.isEmpty, !cidrs.isEmpty else {
            return "<section><h2>Routes</h2><p class=\"empty\">No routes yet: the first reconcile has not run.</p></section>"
        }
        let head = shown.map { id, table in
            let marks = (table["managed"]?.boolValue == true ? "managed" : "not managed") + (table["main"]?.boolValue == true ? ", main" : "")
            return "<th scope=\"col\">\(escape(id))<br><small>\(escape(marks))</small></th>"
        }.joined()
        let rows = cidrs.map { cidr in
            let cells = shown.map { tableId, table -> String in
                guard let route = table["routes"]?[cidr] else { return "<td class=\"absent\">-</td>" }
                let status = route["status"]?.stringValue ?? "correct"
                let router = route["router"]?.stringValue ?? route["eni"]?.stringValue ?? "-"
                let detail = [
                    "\(status.replacingUnderscores): \(route["reason"]?.stringValue ?? "")",
                    "last action: \(route["last_action"]?.stringValue ?? "-")",
                    "ENI \(route["eni"]?.stringValue ?? "-"), instance \(route["instance"]?.stringValue ?? "-")",
                ].joined(separator: "\n")
                return "<td class=\"route state-\(escape(status))\" data-table=\"\(escape(tableId))\" data-cidr=\"\(escape(cidr))\" "
                    + "data-status=\"\(escape(status))\" title=\"\(escape(detail))\">\(escape(router))"
                    + "<small>\(escape(status.replacingUnderscores))</small></td>"
            }.joined()
            return "<tr><th scope=\"row\">\(escape(cidr))</th>\(cells)</tr>"
        }.joined()
        let legend = ["correct", "repairing", "removing", "held", "no_eligible_router", "ignored", "foreign"].map {
            "<span class=\"state-\($0)\">\($0.replacingUnderscores)</span>"
        }.joined(separator: " ")
        return "<section><h2>Routes</h2><p class=\"legend\">\(legend)</p>"
            + "<table class=\"grid\"><thead><tr><th>CIDR</th>\(head)</tr></thead><tbody>\(rows)</tbody></table></section>"
    }

    /// A round trip in the unit that shows it: routers next door answer in microseconds.
    static func roundTripText(milliseconds: Double) -> String {
        milliseconds < 1 ? "\(max(1, Int((milliseconds * 1000).rounded()))) µs" : "\((milliseconds * 100).rounded() / 100) ms"
    }

    static func routers(_ documents: DashboardDocuments) -> String {
        // `/ips` `routers` holds every probed router, which is every router the spec names.
        let details = documents.ips["routers"]?.members ?? []
        guard !details.isEmpty else { return "<section><h2>Routers</h2><p class=\"empty\">No routers probed yet.</p></section>" }
        let carrying = routesPerRouter(documents)
        let rows = details.map { router, detail -> String in
            let condition = detail["condition"]?.stringValue ?? "unknown"
            let rtt = detail["rtt_ms"]?.numberValue.map(roundTripText) ?? "-"
            let fall = Int(detail["fall"]?.numberValue ?? 1), rise = Int(detail["rise"]?.numberValue ?? 1)
            let failing = Int(detail["failing_rounds"]?.numberValue ?? 0), healthy = Int(detail["healthy_rounds"]?.numberValue ?? 0)
            let holdDown = detail["hold_down_remaining_s"]?.numberValue.map { "\(($0 * 10).rounded() / 10) s" } ?? "-"
            return "<tr data-router=\"\(escape(router))\"><th scope=\"row\">\(escape(router))</th>"
                + "<td class=\"condition-\(escape(condition))\" data-field=\"condition\">\(escape(condition))</td>"
                + "<td>\(escape(detail["last_verdict"]?.stringValue ?? "-"))</td><td data-field=\"rtt\">\(escape(rtt))</td>"
                + "<td data-field=\"failing\">\(min(failing, fall)) of \(fall)</td><td>\(min(healthy, rise)) of \(rise)</td>"
                + "<td>\(escape(holdDown))</td><td>\(carrying[router, default: 0])</td></tr>"
        }
        return "<section><h2>Routers</h2><table class=\"routers\"><thead><tr><th>Router</th><th>Health</th><th>Last verdict</th>"
            + "<th>Round trip</th><th>Failing rounds (fall)</th><th>Healthy rounds (rise)</th><th>Hold-down left</th>"
            + "<th>Routes carried</th></tr></thead><tbody>\(rows.joined())</tbody></table></section>"
    }

    /// The writes made and holds entered lately, newest first, with why (and for a failover, how
    /// long from the health change to the route visible).
    static func decisions(_ documents: DashboardDocuments) -> String {
        let rows = (documents.vpc["recent_decisions"]?.items ?? []).map { decision -> String in
            let action = decision["action"]?.stringValue ?? "?"
            let failover = decision["failover"]?.boolValue == true
            var move = [decision["from"]?.stringValue, decision["to"]?.stringValue].compactMap { $0 }.joined(separator: " → ")
            if move.isEmpty { move = "-" }
            let latency = decision["detection_to_visible_ms"]?.numberValue.map { "\(Int($0)) ms" } ?? (failover ? "measuring" : "")
            return "<tr class=\"decision-\(escape(action))\"><td>\(escape(decision["time"]?.stringValue ?? ""))</td>"
                + "<td>\(escape(action))\(failover ? " <strong>failover</strong>" : "")</td><td>\(escape(decision["cidr"]?.stringValue ?? ""))</td>"
                + "<td>\(escape(decision["table"]?.stringValue ?? "-"))</td><td>\(escape(move))</td>"
                + "<td>\(escape(decision["reason"]?.stringValue ?? ""))</td><td>\(escape(latency))</td></tr>"
        }
        guard !rows.isEmpty else {
            return "<section><h2>Recent decisions</h2><p class=\"empty\">No route written yet.</p></section>"
        }
        return "<section><h2>Recent decisions</h2><table class=\"decisions\"><thead><tr><th>Time</th><th>Action</th><th>CIDR</th>"
            + "<th>Table</th><th>Router</th><th>Why</th><th>Health change to visible</th></tr></thead><tbody>\(rows.joined())</tbody></table></section>"
    }

    static func routesPerRouter(_ documents: DashboardDocuments) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (_, table) in documents.vpc["route_tables"]?.members ?? [] {
            for (_, route) in table["routes"]?.members ?? [] {
                if let router = route["router"]?.stringValue, route["status"]?.stringValue != "foreign" { counts[router, default: 0] += 1 }
            }
        }
        return counts
    }

    static func escape(_ text: String) -> String { StatusPage.escape(text) }

    /// Addresses and CIDRs in numeric order; text that does not parse after them, in text order.
    static func inAddressOrder<Value: Comparable>(_ parse: @escaping (String) -> Value?) -> (String, String) -> Bool {
        { left, right in
            switch (parse(left), parse(right)) {
            case let (left?, right?): left < right
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): left < right
            }
        }
    }
}

extension String {
    fileprivate var replacingUnderscores: String { split(separator: "_").joined(separator: " ") }

    fileprivate init(format1 value: Double) {
        self = String((value * 10).rounded() / 10)
    }
}
