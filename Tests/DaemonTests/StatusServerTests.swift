import Foundation
import Testing
import TestSupport

/// The built-in HTTP server of a live daemon on loopback: every endpoint's shape, content
/// negotiation, the http mode's POST and GET, limits and tokens.
@Suite(.serialized, .timeLimit(.minutes(5))) struct StatusServerTests {
    let port = freeLoopbackPort()
    let tokenFile: URL
    let daemon: DaemonProcess
    let base: String
    static let token = "s3cret-token-for-tests-0123456789"

    init() throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-http")
        tokenFile = directory.appendingPathComponent("token")
        try Data((Self.token + "\n").utf8).write(to: tokenFile)
        base = "http://127.0.0.1:\(port)"
        daemon = try VPCRouterUnderTest.launch([
            "-m", "http", "-H", "tcp", "--tcp_check_port", "9", "-p", "\(port)", "--http-token-file", tokenFile.path,
            "--ignore_routes", "10.200.0.0/16,10.1.2.3", "--state-dir", directory.appendingPathComponent("state").path,
        ])
        guard daemon.waitForOutput(containing: "HTTP server listening") else {
            throw ExampleBuildError(message: "daemon did not start: \(daemon.output)")
        }
    }

    func post(_ body: String, contentType: String = "application/json", token: String? = token) async throws -> HTTPAnswer {
        var headers = ["Content-Type": contentType]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try await HTTPProbe.request(base + "/route_spec", method: "POST", headers: headers, body: Data(body.utf8))
    }

    @Test func statusPagesHaveTheOriginalShapes() async throws {
        let root = try await HTTPProbe.request(base + "/")
        #expect(root.status == 200)
        #expect(root.header("content-type") == "application/json")
        let overview = try #require(root.json as? [String: Any])
        let server = try #require(overview["SERVER"] as? [String: Any])
        #expect((server["version"] as? String)?.hasPrefix("vpcrouter (") == true)
        #expect(server["start_time"] is String && server["current_time"] is String)
        let params = try #require(overview["params"] as? [String: Any])
        #expect(Set(params.keys) == ["logfile", "region_name", "vpc_id", "route_recheck_interval", "verbose", "addr", "port", "mode",
                                     "health", "ignore_routes"])
        #expect(params["port"] as? Int == port)
        #expect(params["ignore_routes"] as? [String] == ["10.200.0.0/16", "10.1.2.3/32"])
        #expect((overview["vpc"] as? [String: String])?["_href"] == "/vpc")
        // No spec yet; the EC2 client exists and has been counting from the start.
        #expect(overview["spec"] is NSNull)
        #expect((overview["ec2"] as? [String: Any])?["calls"] is Int)

        let ips = try #require(try await HTTPProbe.request(base + "/ips").json as? [String: Any])
        #expect(ips["failed_ips"] is [String] && ips["questionable_ips"] is [String] && ips["working_set"] is [String])

        let plugins = try #require(try await HTTPProbe.request(base + "/plugins").json as? [String: Any])
        #expect(Set(plugins.keys) == ["http", "tcp"])
        let tcp = try #require(plugins["tcp"] as? [String: Any])
        #expect((tcp["params"] as? [String: Any])?["tcp_check_port"] as? Int == 9)

        let routeInfo = try #require(try await HTTPProbe.request(base + "/route_info").json as? [String: Any])
        #expect(routeInfo["ignore_routes"] as? [String] == ["10.200.0.0/16", "10.1.2.3/32"])
        #expect(routeInfo["route_spec"] is [String: Any] && routeInfo["routes"] is [String: Any])

        let vpc = try await HTTPProbe.request(base + "/vpc")
        #expect(vpc.status == 200 && vpc.json is [String: Any])

        let health = try await HTTPProbe.request(base + "/healthz")
        #expect(health.status == 200)
        let ready = try await HTTPProbe.request(base + "/readyz")
        #expect(ready.status == 503)
        #expect(((ready.json as? [String: Any])?["waiting_for"] as? [String])?.first == "a route spec")
    }

    @Test func contentNegotiationAndErrors() async throws {
        let html = try await HTTPProbe.request(base + "/", headers: ["Accept": "text/html,application/xhtml+xml"])
        #expect(html.status == 200)
        #expect(html.header("content-type")?.hasPrefix("text/html") == true)
        #expect(html.text.contains("<a href=\"/ips\">/ips</a>"))
        let plain = try await HTTPProbe.request(base + "/ips", headers: ["Accept": "text/plain"])
        #expect(plain.header("content-type")?.hasPrefix("text/plain") == true)
        let json = try await HTTPProbe.request(base + "/ips", headers: ["Accept": "application/json"])
        #expect(json.header("content-type") == "application/json")
        let refused = try await HTTPProbe.request(base + "/ips", headers: ["Accept": "image/png"])
        #expect(refused.status == 406)
        #expect(refused.header("content-type") == "application/json")
        let missing = try await HTTPProbe.request(base + "/nosuch")
        #expect(missing.status == 404)
        #expect((missing.json as? [String: Any])?["error"] as? String == "no such resource: /nosuch")
        let wrongMethod = try await HTTPProbe.request(base + "/ips", method: "POST", body: Data("{}".utf8))
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("allow") == "GET, HEAD")
        let deleteSpec = try await HTTPProbe.request(base + "/route_spec", method: "DELETE")
        #expect(deleteSpec.status == 405)
    }

    /// The operator's page: complete HTML on the first load, under a policy that allows nothing
    /// inline and nothing from elsewhere, with its script and stylesheet served by the daemon.
    @Test func theStatusPageIsCompleteHTMLUnderAStrictPolicy() async throws {
        let page = try await HTTPProbe.request(base + "/", headers: ["Accept": "text/html"])
        #expect(page.status == 200)
        let policy = try #require(page.header("content-security-policy"))
        #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
        #expect(page.text.contains("<main id=\"dashboard\""))
        #expect(page.text.contains("data-field=\"readiness\">waiting for a route spec"))
        // Every script and stylesheet is the daemon's own; no inline script, no outside address.
        #expect(page.text.components(separatedBy: "<script").count == 2)
        #expect(page.text.contains("<script src=\"/ui/dashboard.js\""))
        #expect(!page.text.contains("http://") && !page.text.contains("https://"))
        #expect(!page.text.contains(Self.token))
        let script = try await HTTPProbe.request(base + "/ui/dashboard.js")
        #expect(script.status == 200 && script.header("content-type")?.hasPrefix("text/javascript") == true)
        #expect(script.text.contains("setInterval(refresh"))
        let stylesheet = try await HTTPProbe.request(base + "/ui/dashboard.css")
        #expect(stylesheet.status == 200 && stylesheet.header("content-type")?.hasPrefix("text/css") == true)
        let posted = try await HTTPProbe.request(base + "/ui/dashboard.js", method: "POST", body: Data("x".utf8))
        #expect(posted.status == 405)
    }

    /// A part of the Accept header that is only `;` has no media range at all; reading the first of
    /// its no parts once stopped the daemon (SIGILL) on any request that carried it.
    @Test func anAcceptHeaderWithoutAMediaRangeIsAnswered() async throws {
        for (accept, status) in [(";", 406), (";;q=1", 406), ("text/html,;", 200), ("image/png, ;", 406)] {
            let answer = try await HTTPProbe.request(base + "/ips", headers: ["Accept": accept])
            #expect(answer.status == status, "Accept: \(accept)")
        }
        #expect(try await HTTPProbe.request(base + "/ips").status == 200)
        #expect(daemon.process.isRunning)
    }

    @Test func httpModeAcceptsRefusesAndKeepsTheLastGoodSpec() async throws {
        let before = try await HTTPProbe.request(base + "/route_spec")
        #expect(before.status == 404)
        let good = try await post(#"{"10.55.16.0/24": ["10.33.20.142"], "10.66.0.0/16": []}"#)
        #expect(good.status == 200)
        #expect((good.json as? [String: Any])?["status"] as? String == "accepted")
        let cases: [(String, String)] = [
            (#"{"10.55.16.1/24": ["10.33.20.142"]}"#, "host bits are set; did you mean 10.55.16.0/24?"),
            ("{}", "the route spec is empty"),
            ("not json", "not valid JSON"),
            (#"{"10.55.16.0/24": "10.33.20.142"}"#, "must be a list of IP strings"),
            (#"{"fd00::1/64": ["10.0.0.1"]}"#, "host bits are set; did you mean fd00::/64?"),
            (#"{"10.55.16.0/24": ["10.1.1"]}"#, "is not a valid IPv4 address"),
        ]
        for (body, reason) in cases {
            let answer = try await post(body)
            #expect(answer.status == 400, "\(body)")
            #expect(((answer.json as? [String: Any])?["error"] as? String)?.contains(reason) == true, "\(answer.text)")
        }
        let wrongType = try await post(#"{"10.1.0.0/16": []}"#, contentType: "application/xml")
        #expect(wrongType.status == 415)
        // What parses as a spec is taken whatever type it is declared as (curl -d sends a form type).
        let goodSpec = #"{"10.55.16.0/24": ["10.33.20.142"], "10.66.0.0/16": []}"#
        for type in ["application/x-www-form-urlencoded", "text/plain", "application/octet-stream"] {
            let answer = try await post(goodSpec, contentType: type)
            #expect(answer.status == 200, "\(type): \(answer.text)")
        }
        let noToken = try await post(#"{"10.1.0.0/16": []}"#, token: nil)
        #expect(noToken.status == 401)
        #expect(noToken.header("www-authenticate") == "Bearer")
        let badToken = try await post(#"{"10.1.0.0/16": []}"#, token: "wrong")
        #expect(badToken.status == 401)
        let huge = "{\"10.1.0.0/16\": [" + String(repeating: "\"10.0.0.1\", ", count: 120_000) + "\"10.0.0.1\"]}"
        let oversize = try await post(huge)
        #expect(oversize.status == 413)
        let after = try await HTTPProbe.request(base + "/route_spec")
        #expect(after.status == 200)
        #expect(after.text == "{\"10.55.16.0/24\": [\"10.33.20.142\"], \"10.66.0.0/16\": []}\n")
        #expect(!daemon.output.contains(Self.token), "the token never appears in the log")
        #expect(daemon.stop() == 0)
    }

    @Test func metricsAreValidPrometheusText() async throws {
        _ = try await post(#"{"10.77.0.0/16": ["10.33.20.142"]}"#)
        let answer = try await HTTPProbe.request(base + "/metrics")
        #expect(answer.status == 200)
        #expect(answer.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(port).txt")
        try answer.body.write(to: file)
        let check = try ProcessRunner.run("/usr/bin/env", ["python3", PackagePaths.root.appendingPathComponent("Tests/Tools/check_prometheus.py").path, file.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("vpcrouter_specs_accepted counter"))
        #expect(check.stdout.contains("vpcrouter_plugin_info"))
    }
}

/// Binding rules: a taken port fails at once with exit 1; a non-loopback address with a mutating
/// handler and no token is refused.
@Suite(.timeLimit(.minutes(3))) struct StatusServerStartupTests {
    @Test func aTakenPortFailsStartUpWithTheReason() throws {
        let port = freeLoopbackPort()
        let first = try VPCRouterUnderTest.launch(["-m", "http", "-H", "tcp", "-p", "\(port)", "--state-dir", "/tmp/vpcr-state-\(port)"])
        #expect(first.waitForOutput(containing: "HTTP server listening"))
        let second = try VPCRouterUnderTest.run(["-m", "http", "-H", "tcp", "-p", "\(port)", "--state-dir", "/tmp/vpcr-state-\(port)"], timeout: 30)
        #expect(second.status == 1)
        #expect(second.stderr.contains("vpcrouter: the HTTP server cannot listen on 127.0.0.1:\(port)"), "\(second.stderr)")
        #expect(first.stop() == 0)
    }

    @Test func nonLoopbackWithoutATokenIsRefused() throws {
        let result = try VPCRouterUnderTest.run(["-m", "http", "-H", "tcp", "-a", "0.0.0.0", "-p", "\(freeLoopbackPort())"], timeout: 30)
        #expect(result.status == 2)
        #expect(result.stderr.contains("refusing to serve POST /route_spec on 0.0.0.0 without --http-token-file"), "\(result.stderr)")
    }
}
