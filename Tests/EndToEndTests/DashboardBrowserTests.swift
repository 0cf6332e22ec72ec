import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// The status page in a real browser (headless Chromium): the daemon against moto with routers
    /// in namespaces; the page shows the route on its router and the routers' health, and follows a
    /// failover by itself, without a reload. A screenshot is left in `.build/test-output/`.
    @Suite(.serialized, .timeLimit(.minutes(5))) struct DashboardBrowserTests {
        let cidr = IPCIDR("10.55.0.0/16")!
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        @Test func thePageFollowsAFailoverWithoutAReload() async throws {
            let lab = try await TwoRouterLab.start(cidr: cidr)
            defer { lab.stop() }
            let (moto, fixture, routes, routers) = (lab.moto, lab.fixture, lab.routes, lab.routers)
            let state = try PackagePaths.temporaryDirectory("vpcr-dashboard-state")
            let port = freeLoopbackPort()
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "icmpecho", "--icmp_check_interval", "0.2",
                "--health-fall", "2", "--route_recheck_interval", "5", "-p", "\(port)", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString))
            defer { _ = daemon.stop() }
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            guard let carrierENI = first[0] ?? nil, let carrier = enis[carrierENI] else {
                Issue.record("no route created: \(first)\n\(daemon.output)")
                return
            }
            let other = carrier == routerA ? routerB : routerA

            let browser = try await BrowserPage.start()
            defer { browser.stop() }
            try await browser.open("http://127.0.0.1:\(port)/")
            let cell = "document.querySelector('td.route[data-table=\"\(fixture.routeTableA)\"][data-cidr=\"\(cidr)\"]')"
            // The first render is the server's HTML; the script then keeps it current.
            let loaded = try await eventually(.seconds(15), every: .milliseconds(200)) {
                try await browser.evaluate("\(cell)?.firstChild.textContent") as? String == carrier
            }
            let pageText = try await browser.evaluate("document.body.innerText") as? String ?? ""
            #expect(loaded, "the page never showed \(cidr) on \(carrier): \(pageText)")
            // Once written and seen in a re-read of the table, the route shows as correct.
            #expect(try await eventually(.seconds(15), every: .milliseconds(200)) {
                try await browser.evaluate("\(cell).dataset.status") as? String == "correct"
            })
            let carrierRow = "document.querySelector('tr[data-router=\"\(carrier)\"] [data-field=condition]').textContent"
            #expect(try await browser.evaluate(carrierRow) as? String == "healthy")
            // icmpecho's round trip to the router, through the plugin ABI (1.1) to the page.
            let carrierRTT = "document.querySelector('tr[data-router=\"\(carrier)\"] [data-field=rtt]').textContent"
            let rttText = try await browser.evaluate(carrierRTT) as? String ?? ""
            let figure = rttText.hasSuffix(" ms") || rttText.hasSuffix(" µs") ? Double(rttText.dropLast(3)) : nil
            #expect((figure ?? 0) > 0, "round trip shown as '\(rttText)'")
            let specRow = try await browser.evaluate("document.querySelector('[data-field=\"route spec\"]').textContent") as? String ?? ""
            #expect(specRow.hasPrefix("1 CIDRs, generation 1 from fixedconf"), "\(specRow)")
            let ec2Row = try await browser.evaluate("document.querySelector('[data-field=\"ec2 calls\"]')?.textContent") as? String ?? ""
            #expect(ec2Row.contains(" sent, 0 throttled"), "\(ec2Row)")
            // A reload would lose this.
            _ = try await browser.evaluate("window.vpcrouterTestMarker = 'still here'")

            let killed = ContinuousClock.now
            try routers.kill(carrier)
            let moved = try await routes.waitForTargets(in: Set(enis.filter { $0.value == other }.keys))
            #expect(moved.allSatisfy { enis[$0 ?? ""] == other }, "failover in moto: \(moved)\n\(daemon.output)")
            let visibleInMoto = ContinuousClock.now
            // The page refreshes every two seconds; generous here for a busy machine, the time is printed.
            let shown = try await eventually(.seconds(15), every: .milliseconds(100)) {
                try await browser.evaluate("\(cell)?.firstChild.textContent") as? String == other
            }
            let cellText = try await browser.evaluate("\(cell)?.textContent") as? String ?? "nothing"
            #expect(shown, "the page still shows \(cellText)")
            print("dashboard: router death to page showing the new router \(ContinuousClock.now - killed) "
                  + "(\(ContinuousClock.now - visibleInMoto) after moto showed it)")
            #expect(try await eventually(.seconds(10), every: .milliseconds(200)) {
                try await browser.evaluate(carrierRow) as? String == "failed"
            })
            // Its streak against --health-fall 2 is on the page too.
            let failing = "document.querySelector('tr[data-router=\"\(carrier)\"] [data-field=failing]').textContent"
            #expect(try await browser.evaluate(failing) as? String == "2 of 2")
            // A failed check has no round trip to show.
            #expect(try await browser.evaluate(carrierRTT) as? String == "-")
            // The failover is listed among the recent decisions, from the carrier to the other router.
            let decisions = try await browser.evaluate("document.querySelector('table.decisions')?.innerText") as? String ?? ""
            #expect(decisions.contains("failover") && decisions.contains("\(carrier) → \(other)"), "\(decisions)")
            #expect(try await browser.evaluate("window.vpcrouterTestMarker") as? String == "still here", "the page was reloaded")
            #expect(try await browser.evaluate("document.getElementById('connection').hidden") as? Bool == true)

            let output = PackagePaths.root.appendingPathComponent(".build/test-output")
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            try await browser.screenshot(to: output.appendingPathComponent("dashboard-after-failover.png").path)

            // The daemon stops answering: the page says so instead of showing old data as current.
            #expect(daemon.stop() == 0)
            #expect(try await eventually(.seconds(10), every: .milliseconds(200)) {
                try await browser.evaluate("document.getElementById('connection').hidden") as? Bool == false
            })
            let banner = try await browser.evaluate("document.getElementById('connection').textContent") as? String ?? ""
            #expect(banner.contains("not answering"), "\(banner)")
        }
    }
}
