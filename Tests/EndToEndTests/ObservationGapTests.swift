import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// Data missing from a read is not a fact: a router whose instance DescribeInstances does not
    /// return is not terminated, and a DescribeInstances that fails leaves instance states unknown
    /// instead of failing the whole observation.
    @Suite(.serialized) struct ObservationGapTests {
        let cidr = IPCIDR("10.59.0.0/16")!
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"

        func startDaemon(_ fixture: MotoFixture, ec2Endpoint: URL, hosts: [String]) throws -> DaemonProcess {
            let state = try PackagePaths.temporaryDirectory("vpcr-e2e-gaps")
            return try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "fixedconf", "--fixed_cidr", cidr.description,
                "--fixed_hosts", hosts.joined(separator: ":"), "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5",
                "--route_recheck_interval", "5", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            ], environment: VPCRouterUnderTest.environment(ec2Endpoint: ec2Endpoint.absoluteString))
        }

        @Test func aFailingDescribeInstancesLeavesInstanceStatesUnknown() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            // Every DescribeInstances is answered 503; the other calls go through.
            try await proxy.configure(["error503": 1.0, "actions": ["DescribeInstances"]])
            let routes = FixtureRoutes(client: moto.client(for: fixture), fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }
            let daemon = try startDaemon(fixture, ec2Endpoint: proxy.endpoint, hosts: [routerA, routerB])
            let seen = try await routes.waitForTargets(in: [fixture.eniA, fixture.eniB])
            #expect(seen[0] != nil, "routes written with instance states unknown\n\(daemon.output)")
            #expect((try await proxy.stats().actions["DescribeInstances"]?.count ?? 0) > 0, "DescribeInstances was asked and failed")
            #expect(daemon.output.contains("instance states unknown"), "\(daemon.output)")
            #expect(!daemon.output.contains("VPC observation failed"), "\(daemon.output)")
            #expect(daemon.stop() == 0)
        }

        /// A router ENI in the VPC attached to an instance of another VPC: DescribeInstances,
        /// filtered by this VPC, does not return that instance. Before, it counted as terminated and
        /// the router was never chosen.
        @Test func aRouterWhoseInstanceIsNotReturnedIsNotTerminated() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let fixture = try moto.makeFixture()
            let ec2 = moto.client(for: fixture)
            let router = "10.0.1.50"
            let otherVPC = try await ec2.call("CreateVpc", [("CidrBlock", "10.9.0.0/16")]).child("vpc")?.string("vpcId")
            let otherSubnet = try await ec2.call("CreateSubnet", [
                ("VpcId", try #require(otherVPC)), ("CidrBlock", "10.9.1.0/24"), ("AvailabilityZone", "us-east-1a"),
            ]).child("subnet")?.string("subnetId")
            let image = try await ec2.call("DescribeImages", []).items("imagesSet").first?.string("imageId")
            let instance = try await ec2.call("RunInstances", [
                ("ImageId", try #require(image)), ("MinCount", "1"), ("MaxCount", "1"), ("SubnetId", try #require(otherSubnet)),
            ]).items("instancesSet").first?.string("instanceId")
            let eni = try await ec2.call("CreateNetworkInterface", [("SubnetId", fixture.subnetA), ("PrivateIpAddress", router)])
                .child("networkInterface")?.string("networkInterfaceId")
            _ = try await ec2.call("AttachNetworkInterface", [
                ("NetworkInterfaceId", try #require(eni)), ("InstanceId", try #require(instance)), ("DeviceIndex", "1"),
            ])
            let routes = FixtureRoutes(client: ec2, fixture: fixture, cidr: cidr)
            let routers = try await RouterNamespaces.listening([router], port: 9)
            defer { routers.remove() }
            let daemon = try startDaemon(fixture, ec2Endpoint: moto.endpoint, hosts: [router])
            let written = try await eventually(.seconds(30), every: .milliseconds(200)) {
                try await routes.targets()[0] == eni
            }
            #expect(written, "the route goes to the router whose instance is in another VPC\n\(daemon.output)")
            #expect(!daemon.output.contains("is terminated"), "\(daemon.output)")
            #expect(daemon.stop() == 0)
        }
    }
}
