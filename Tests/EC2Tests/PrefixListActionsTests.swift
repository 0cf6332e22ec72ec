import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

/// The prefix-list calls against the moto that the fixture completes (Tests/Tools/motoprefixlists.py),
/// signed with the daemon's key, which carries only docs/iam-policy.json.
@Suite("Prefix-list actions against moto (completed for routes to lists, IAM-limited key)",
       .moto(verifySignatures: true, completingPrefixListRoutes: true), .serialized, .timeLimit(.minutes(2)))
struct PrefixListActionsTests {
    func routerClient(_ context: MotoContext) -> EC2Client {
        let fixture = context.fixture
        return EC2Client(configuration: EC2ClientConfiguration(region: fixture.region, endpoint: context.server.endpoint),
                         credentials: StaticCredentialsProvider(AWSCredentials(accessKeyId: fixture.routerAccessKeyId,
                                                                               secretAccessKey: fixture.routerSecretAccessKey)))
    }

    @Test("a tagged list is created, read by its tag, changed at its version, routed to, rerouted, unrouted and deleted")
    func listLifecycle() async throws {
        let context = try MotoContext.require()
        let fixture = context.fixture
        let client = routerClient(context)
        let tags = ["vpcrouter:vpc": fixture.vpcId, "vpcrouter:group": "0011223344556677", "Name": "vpcrouter-test"]
        let created = try await client.createManagedPrefixList(
            name: "vpcrouter-test", maxEntries: 5, entries: [IPCIDR("10.60.0.0/24")!, IPCIDR("10.60.1.0/24")!], tags: tags)
        let id = created.prefixListId
        #expect(id.hasPrefix("pl-"))

        let listed = try await client.describeManagedPrefixLists(taggedWith: "vpcrouter:vpc", value: fixture.vpcId)
        #expect(listed.map(\.prefixListId) == [id])
        #expect(listed.first?.maxEntries == 5 && listed.first?.version == 1 && listed.first?.tags == tags)
        #expect(try await client.describeManagedPrefixLists(taggedWith: "vpcrouter:vpc", value: "vpc-other").isEmpty)
        #expect(Set(try await client.getManagedPrefixListEntries(prefixListId: id)) == [IPCIDR("10.60.0.0/24")!, IPCIDR("10.60.1.0/24")!])

        try await client.modifyManagedPrefixList(prefixListId: id, currentVersion: 1, add: [IPCIDR("10.60.2.0/24")!],
                                                 remove: [IPCIDR("10.60.0.0/24")!])
        #expect(Set(try await client.getManagedPrefixListEntries(prefixListId: id)) == [IPCIDR("10.60.1.0/24")!, IPCIDR("10.60.2.0/24")!])
        #expect(try await client.describeManagedPrefixLists(taggedWith: "vpcrouter:vpc", value: fixture.vpcId).first?.version == 2)

        func listRoute() async throws -> RouteTable.Route? {
            try await client.describeRouteTables(vpcId: fixture.vpcId).first { $0.routeTableId == fixture.routeTableA }?
                .routes.first { $0.destinationPrefixListId == id }
        }
        try await client.createRoute(routeTableId: fixture.routeTableA, prefixListId: id, networkInterfaceId: fixture.eniA)
        let route = try #require(try await listRoute())
        #expect(route.networkInterfaceId == fixture.eniA && route.destinationCidrBlock == nil && route.origin == "CreateRoute")

        try await client.replaceRoute(routeTableId: fixture.routeTableA, prefixListId: id, networkInterfaceId: fixture.eniB, priority: .failover)
        #expect(try await listRoute()?.networkInterfaceId == fixture.eniB)

        #expect(try await client.deleteRoute(routeTableId: fixture.routeTableA, prefixListId: id))
        #expect(try await listRoute() == nil)
        #expect(try await client.deleteRoute(routeTableId: fixture.routeTableA, prefixListId: id) == false, "already gone counts as done")

        #expect(try await client.deleteManagedPrefixList(prefixListId: id))
        let after = try await client.describeManagedPrefixLists(taggedWith: "vpcrouter:vpc", value: fixture.vpcId)
        #expect(after.allSatisfy { $0.state?.hasPrefix("delete") == true })
    }
}

/// Why the fixture completes moto: plain moto 5.2.1 stores a route to a prefix list with an ENI
/// target without its destination. If this starts failing, moto has fixed it and the completion
/// (Tests/Tools/motoprefixlists.py) can go.
@Suite("Plain moto and routes to prefix lists", .moto(), .serialized, .timeLimit(.minutes(2)))
struct PlainMotoPrefixListRouteTests {
    @Test("plain moto loses a prefix-list route's destination; the completed moto keeps it")
    func plainMotoLosesTheDestination() async throws {
        let context = try MotoContext.require()
        let fixture = context.fixture
        let client = context.client()
        let list = try await client.createManagedPrefixList(name: "plain", maxEntries: 2, entries: [IPCIDR("10.61.0.0/24")!],
                                                            tags: ["vpcrouter:vpc": fixture.vpcId])
        try await client.createRoute(routeTableId: fixture.routeTableB, prefixListId: list.prefixListId, networkInterfaceId: fixture.eniB)
        let routes = try await client.describeRouteTables(vpcId: fixture.vpcId).first { $0.routeTableId == fixture.routeTableB }?.routes ?? []
        #expect(!routes.contains { $0.destinationPrefixListId == list.prefixListId })
        await #expect(throws: EC2Error.self) {
            try await client.replaceRoute(routeTableId: fixture.routeTableB, prefixListId: list.prefixListId, networkInterfaceId: fixture.eniA)
        }

        // The same calls against moto started through the completion.
        let completed = try await MotoServer.start(completingPrefixListRoutes: true)
        defer { completed.stop() }
        let other = try await completed.fixture()
        let otherClient = completed.client(for: other)
        let otherList = try await otherClient.createManagedPrefixList(name: "completed", maxEntries: 2, entries: [IPCIDR("10.61.0.0/24")!],
                                                                      tags: ["vpcrouter:vpc": other.vpcId])
        try await otherClient.createRoute(routeTableId: other.routeTableB, prefixListId: otherList.prefixListId, networkInterfaceId: other.eniB)
        try await otherClient.replaceRoute(routeTableId: other.routeTableB, prefixListId: otherList.prefixListId, networkInterfaceId: other.eniA)
        let otherRoutes = try await otherClient.describeRouteTables(vpcId: other.vpcId).first { $0.routeTableId == other.routeTableB }?.routes ?? []
        #expect(otherRoutes.first { $0.destinationPrefixListId == otherList.prefixListId }?.networkInterfaceId == other.eniA)
    }
}
