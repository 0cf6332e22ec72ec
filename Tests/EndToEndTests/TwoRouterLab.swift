import EC2
import RouteModel
import TestSupport

/// The set-up most end-to-end tests share: moto with the standard fixture (see
/// Tests/Tools/motofixture.py), the fixture's routes for one CIDR, and routers A (subnet a) and
/// B (subnet b) answering in network namespaces. `stop()` (in a `defer`) removes the routers and
/// stops moto.
struct TwoRouterLab {
    static let routerA = "10.0.1.10"
    static let routerB = "10.0.2.20"

    let moto: MotoServer
    let fixture: MotoFixture
    let routes: FixtureRoutes
    let routers: RouterNamespaces

    /// The router each of the fixture's two router ENIs belongs to.
    var routerByENI: [String: String] { [fixture.eniA: Self.routerA, fixture.eniB: Self.routerB] }

    /// With `dualStack`, routers A and B also answer on their ENIs' IPv6 addresses
    /// (`fixture.routerAIPv6`, `fixture.routerBIPv6`). `completingPrefixListRoutes`: moto through
    /// Tests/Tools/motoprefixlists.py (`--prefix-lists` suites only).
    /// `verifySignatures`: moto checks signatures and IAM (the daemon then runs with `fixture.routerAccessKeyId`).
    static func start(cidr: IPCIDR, dualStack: Bool = false, completingPrefixListRoutes: Bool = false,
                      verifySignatures: Bool = false) async throws -> TwoRouterLab {
        let moto = try await MotoServer.start(verifySignatures: verifySignatures, completingPrefixListRoutes: completingPrefixListRoutes)
        do {
            let fixture = try await moto.fixture()
            let routers = try await RouterNamespaces.acquire()
            do {
                try routers.add(routerA, ipv6: dualStack ? fixture.routerAIPv6 : nil)
                try routers.add(routerB, ipv6: dualStack ? fixture.routerBIPv6 : nil)
            } catch {
                routers.remove()
                throw error
            }
            return TwoRouterLab(moto: moto, fixture: fixture, routes: FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr),
                                routers: routers)
        } catch {
            moto.stop()
            throw error
        }
    }

    func stop() {
        routers.remove()
        moto.stop()
    }
}
