import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// A failed failover write is retried on its own backoff, even with the periodic recheck off.
    @Suite(.serialized) struct RetryTests {
        let cidr = IPCIDR("10.59.0.0/16")!
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        @Test func aFailedFailoverWriteIsRetriedWithTheRecheckOff() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            let routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.acquire()
            defer { routers.remove() }
            try routers.add(routerA)
            try routers.add(routerB)
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-retry")
            let port = freeLoopbackPort()
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "icmpecho", "--icmp_check_interval", "0.2",
                "--health-fall", "2", "--route_recheck_interval", "0", "-p", "\(port)", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: proxy.endpoint.absoluteString))
            let enis = [fixture.eniA: routerA, fixture.eniB: routerB]
            let first = try await routes.waitForTargets(in: Set(enis.keys))
            guard let carrier = first[0] ?? nil, let carrierIP = enis[carrier] else {
                Issue.record("routes not created: \(first)\n\(daemon.output)")
                return
            }
            let other = enis.keys.first { $0 != carrier }!

            // Every ReplaceRoute fails while the carrying router dies: the failover write fails.
            try await proxy.configure(["error503": 1.0, "actions": ["ReplaceRoute"]])
            try routers.kill(carrierIP)
            #expect(await daemon.output(containing: "route write failed", timeout: .seconds(60)), "\(daemon.output)")
            // The pass ends with writes failed: `/vpc` shows the retry pending.
            var shown = ""
            let pending = try await eventually(.seconds(60), every: .milliseconds(100)) {
                let vpc = try await HTTPProbe.request("http://127.0.0.1:\(port)/vpc")
                shown = vpc.text
                let retry = (vpc.json as? [String: Any])?["retry"] as? [String: Any]
                return ((retry?["failed_passes"] as? Double) ?? 0) >= 1 && retry?["next_delay_s"] is Double
            }
            #expect(pending, "\(shown)\n\(daemon.output)")
            let metrics = try await HTTPProbe.request("http://127.0.0.1:\(port)/metrics").text
            #expect(metrics.contains("vpcrouter_reconcile_retries_total "), "\(metrics)")

            // EC2 recovers; nothing else wakes the reconciler (no recheck, no health change), yet
            // the route moves: the retry does it.
            try await proxy.configure([:])
            let moved = try await routes.waitForTargets(in: [other], timeout: .seconds(60))
            #expect(moved == [other, other], "\(daemon.output)")
            #expect(daemon.output.contains("reconcile.cause=retry"), "\(daemon.output)")
            #expect(await daemon.stopped() == 0)
        }
    }
}
