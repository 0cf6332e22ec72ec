import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

/// Every typed action against moto with signature and IAM checks on (INITIAL_NO_AUTH_ACTION_COUNT).
@Suite("EC2 actions against moto (signed with an IAM key)", .moto(verifySignatures: true, extraInstances: 3), .serialized, .timeLimit(.minutes(2)))
struct MotoActionsTests {
    @Test("DescribeVpcs and DescribeSubnets are filtered by VPC")
    func vpcsAndSubnets() async throws {
        let context = try MotoContext.require()
        let client = context.client()
        let vpcs = try await client.describeVpcs(vpcId: context.fixture.vpcId)
        #expect(vpcs.map(\.vpcId) == [context.fixture.vpcId])
        #expect(vpcs.first?.cidrBlock == "10.0.0.0/16")
        let subnets = try await client.describeSubnets(vpcId: context.fixture.vpcId)
        #expect(Set(subnets.map(\.subnetId)) == [context.fixture.subnetA, context.fixture.subnetB])
        #expect(Set(subnets.compactMap(\.availabilityZone)) == ["us-east-1a", "us-east-1b"])
    }

    @Test("DescribeRouteTables gives the main table and explicit associations")
    func routeTables() async throws {
        let context = try MotoContext.require()
        let fixture = context.fixture
        let tables = try await context.client().describeRouteTables(vpcId: fixture.vpcId)
        #expect(Set(tables.map(\.routeTableId)) == [fixture.mainRouteTable, fixture.routeTableA, fixture.routeTableB])
        let main = try #require(tables.first { $0.routeTableId == fixture.mainRouteTable })
        #expect(main.isMain)
        #expect(main.route(to: "10.0.0.0/16")?.gatewayId == "local")
        #expect(main.route(to: "10.0.0.0/16")?.origin == "CreateRouteTable")
        let tableA = try #require(tables.first { $0.routeTableId == fixture.routeTableA })
        #expect(tableA.subnetIds == [fixture.subnetA] && !tableA.isMain)
    }

    @Test("DescribeNetworkInterfaces shows attachments, second ENIs, secondary IPs and source/dest check")
    func networkInterfaces() async throws {
        let context = try MotoContext.require()
        let fixture = context.fixture
        let observation = try await context.client().observeVPC(fixture.vpcId)
        let eniA = try #require(observation.networkInterface(holding: "10.0.1.10"))
        #expect(eniA.networkInterfaceId == fixture.eniA && eniA.instanceId == fixture.routerA && !eniA.sourceDestCheck)
        #expect(eniA.subnetId == fixture.subnetA && eniA.vpcId == fixture.vpcId)
        let secondENI = try #require(observation.networkInterface(holding: "10.0.2.31"))
        #expect(secondENI.networkInterfaceId == fixture.eniC2 && secondENI.instanceId == fixture.routerC)
        #expect(secondENI.attachment?.deviceIndex == 1 && secondENI.subnetId == fixture.subnetB)
        let eniD = try #require(observation.networkInterface(holding: "10.0.1.41"))
        #expect(eniD.networkInterfaceId == fixture.eniD && eniD.primaryAddress == "10.0.1.40")
        #expect(eniD.privateAddresses.contains(.init(address: "10.0.1.41", isPrimary: false)))
        #expect(observation.networkInterface(holding: "10.0.2.20")?.sourceDestCheck == true)
        #expect(observation.routeTable(forSubnet: fixture.subnetB)?.routeTableId == fixture.routeTableB)
    }

    @Test("DescribeInstances paginates with a small page size and reports stopped routers")
    func instancesPaginateAndStop() async throws {
        let context = try MotoContext.require()
        let fixture = context.fixture
        let client = context.client(maxResults: 2)
        let all = try await client.describeInstances(vpcId: fixture.vpcId)
        let expected = Set([fixture.routerA, fixture.routerB, fixture.routerC, fixture.routerD] + fixture.extraInstances)
        #expect(Set(all.map(\.instanceId)) == expected)
        #expect(all.count == expected.count)
        let calls = client.metrics.snapshot()["DescribeInstances"]?.calls ?? 0
        #expect(calls >= (expected.count + 1) / 2)
        #expect(all.first { $0.instanceId == fixture.routerA }?.privateIpAddress == "10.0.1.10")

        let victim = try #require(fixture.extraInstances.first)
        _ = try await client.call("StopInstances", [("InstanceId.1", victim)])
        let stopped = try await client.describeInstances(vpcId: fixture.vpcId, instanceIds: [victim, fixture.routerA])
        #expect(stopped.count == 2)
        #expect(stopped.first { $0.instanceId == victim }?.isGone == true)
        #expect(stopped.first { $0.instanceId == fixture.routerA }?.isGone == false)
    }

    @Test("route create, replace and delete to ENIs, with the fallbacks")
    func routeWrites() async throws {
        let context = try MotoContext.require()
        let fixture = context.fixture
        let client = context.client()
        let destination = try #require(IPCIDR("172.16.0.0/16"))
        let table = fixture.routeTableA

        func target() async throws -> String? {
            try await client.describeRouteTables(vpcId: fixture.vpcId).first { $0.routeTableId == table }?.route(to: "172.16.0.0/16")?.networkInterfaceId
        }

        // Believed present but missing: ReplaceRoute fails ("no route defined"), CreateRoute follows.
        #expect(try await client.upsertRoute(routeTableId: table, destination: destination, networkInterfaceId: fixture.eniA, existing: true) == .created)
        #expect(try await target() == fixture.eniA)
        // Believed absent but present: real EC2 answers RouteAlreadyExists and ReplaceRoute follows
        // (covered with a scripted transport); moto silently overwrites ENI routes on CreateRoute, so either is fine.
        _ = try await client.upsertRoute(routeTableId: table, destination: destination, networkInterfaceId: fixture.eniB, existing: false, priority: .failover)
        #expect(try await target() == fixture.eniB)
        // A second ENI of a multi-ENI instance is a valid target.
        #expect(try await client.upsertRoute(routeTableId: table, destination: destination, networkInterfaceId: fixture.eniC2) == .replaced)
        #expect(try await target() == fixture.eniC2)

        #expect(try await client.deleteRoute(routeTableId: table, destination: destination))
        #expect(try await target() == nil)
        // Deleting again is InvalidRoute.NotFound, which counts as done.
        #expect(try await client.deleteRoute(routeTableId: table, destination: destination) == false)

        let counters = client.metrics.snapshot()
        #expect(counters["ReplaceRoute"]?.calls == 2)
        #expect(counters["CreateRoute"]?.calls == 2)
        #expect(counters["DeleteRoute"]?.calls == 2)
    }

    @Test("IPv6 routes: create, replace and delete with DestinationIpv6CidrBlock, read back from destinationIpv6CidrBlock")
    func ipv6RouteWrites() async throws {
        let context = try MotoContext.require()
        let fixture = context.fixture
        let client = context.client()
        let destination = try #require(IPCIDR("2600:1f18:0:100::/56"))
        let table = fixture.routeTableB

        func route() async throws -> RouteTable.Route? {
            try await client.describeRouteTables(vpcId: fixture.vpcId).first { $0.routeTableId == table }?.route(to: destination)
        }

        #expect(try await client.upsertRoute(routeTableId: table, destination: destination, networkInterfaceId: fixture.eniA, existing: false) == .created)
        let created = try #require(try await route())
        #expect(created.destinationIpv6CidrBlock == "2600:1f18:0:100::/56" && created.destinationCidrBlock == nil)
        #expect(created.networkInterfaceId == fixture.eniA && created.origin == "CreateRoute")
        #expect(try await client.upsertRoute(routeTableId: table, destination: destination, networkInterfaceId: fixture.eniB, priority: .failover) == .replaced)
        #expect(try await route()?.networkInterfaceId == fixture.eniB)
        #expect(try await client.deleteRoute(routeTableId: table, destination: destination))
        #expect(try await route() == nil)
        #expect(try await client.deleteRoute(routeTableId: table, destination: destination) == false)
    }

    @Test("DescribeNetworkInterfaces lists an ENI's IPv6 addresses; a router is found by either family's address")
    func ipv6Addresses() async throws {
        let context = try MotoContext.require()
        let fixture = context.fixture
        let observation = try await context.client().observeVPC(fixture.vpcId)
        let byIPv6 = try #require(observation.networkInterface(holding: fixture.routerAIPv6))
        #expect(byIPv6.networkInterfaceId == fixture.eniA && byIPv6.ipv6Addresses == [fixture.routerAIPv6])
        #expect(observation.networkInterface(holding: "10.0.1.10")?.networkInterfaceId == fixture.eniA)
        // Written differently (upper case, zeros spelt out), the address is still router A's.
        let spelt = IPv6Address(fixture.routerAIPv6)!.groups.map { String($0, radix: 16, uppercase: true) }.joined(separator: ":")
        #expect(observation.networkInterface(holding: spelt)?.networkInterfaceId == fixture.eniA)
        #expect(observation.networkInterface(holding: fixture.routerBIPv6)?.networkInterfaceId == fixture.eniB)
    }

    @Test("a route to an unknown ENI fails with the service's code")
    func unknownTarget() async throws {
        let context = try MotoContext.require()
        do {
            try await context.client().createRoute(routeTableId: context.fixture.routeTableB, destination: IPCIDR("172.17.0.0/16")!, networkInterfaceId: "eni-00000000000000000")
            Issue.record("expected an error")
        } catch let error as EC2Error {
            #expect(error.code == EC2Error.Code("InvalidNetworkInterfaceID.NotFound"))
            #expect(error.httpStatus == 400 && error.action == "CreateRoute")
        }
    }

    @Test("observing a VPC costs at most three filtered reads, two once subnets are cached")
    func observationCost() async throws {
        let context = try MotoContext.require()
        let client = context.client()
        _ = try await client.observeVPC(context.fixture.vpcId)
        let first = client.metrics.snapshot().values.reduce(0) { $0 + $1.calls }
        #expect(first == 3)
        _ = try await client.observeVPC(context.fixture.vpcId)
        let second = client.metrics.snapshot().values.reduce(0) { $0 + $1.calls } - first
        #expect(second == 2)
    }

    @Test("a wrong secret is refused with AuthFailure and the secret appears nowhere in the error")
    func wrongSecret() async throws {
        let context = try MotoContext.require()
        let secret = "definitely-Wrong-Secret-1234"
        let client = context.client(secret: secret)
        do {
            _ = try await client.describeVpcs(vpcId: context.fixture.vpcId)
            Issue.record("expected AuthFailure")
        } catch let error as EC2Error {
            #expect(error.code == .authFailure)
            #expect(error.httpStatus == 401)
            #expect(!"\(error)".contains(secret) && !String(reflecting: error).contains(secret))
        }
    }
}
