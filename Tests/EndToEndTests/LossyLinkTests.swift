import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// `--health-fall` holds routes: with both routers losing probes at random, a lost probe or two
    /// makes a router suspect, never moves its route.
    @Suite(.serialized) struct LossyLinkTests {
        let cidr = IPCIDR("10.55.0.0/16")!
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        @Test func routesStayPutOnLossyLinksWithFallThree() async throws {
            let lab = try await TwoRouterLab.start(cidr: cidr)
            defer { lab.stop() }
            let (moto, fixture, routes, routers) = (lab.moto, lab.fixture, lab.routes, lab.routers)
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-lossy")
            let port = freeLoopbackPort()
            var environment = VPCRouterUnderTest.environment(ec2Endpoint: moto.endpoint.absoluteString)
            environment["AWS_ACCESS_KEY_ID"] = fixture.routerAccessKeyId
            environment["AWS_SECRET_ACCESS_KEY"] = fixture.routerSecretAccessKey
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", "\(routerA):\(routerB)", "-H", "icmpecho", "--icmp_check_interval", "0.2",
                "--health-fall", "3", "--route_recheck_interval", "5", "-p", "\(port)", "--state-dir", state.path,
            ], environment: environment)
            let created = try await routes.waitForTargets(in: [fixture.eniA, fixture.eniB])
            #expect(Set(created).count == 1 && created[0] != nil, "created: \(created)\n\(daemon.output)")

            // 10 % loss on both routers for 30 s: 150 rounds each, so about 15 lost probes per
            // router, and three in a row (the only thing that may move the route) about 0.15 times
            // per router. Before fall held routes, every lost probe moved it.
            try routers.loseProbes(routerA, percent: 10)
            try routers.loseProbes(routerB, percent: 10)
            let logStart = daemon.output.count
            try await Task.sleep(for: .seconds(30))
            let during = String(daemon.output.dropFirst(logStart))
            let moves = during.components(separatedBy: "NOTICE vpcrouter: replace").count - 1
            // Each move rewrites two tables.
            #expect(moves <= 2, "the route moved \(moves / 2) times on lossy links:\n\(during)")
            let suspectSeen = during.contains("health.to=suspect")
            #expect(suspectSeen, "lost probes make a router suspect:\n\(during)")
            #expect(await daemon.stopped() == 0)
        }
    }
}
