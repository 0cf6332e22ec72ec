import Foundation
import Testing
import TestSupport

/// The leader election options are checked before anything starts; without etcd the daemon
/// follows and writes nothing, and says so on `/` and `/metrics`.
@Suite struct LeaderElectionOptionsTests {
    @Test(arguments: [
        (["--leader-key", "/x"], "--leader-key needs --leader-election etcd"),
        (["--leader-election", "zookeeper"], "--leader-election: expected none or etcd, got 'zookeeper'"),
        (["--leader-election", "etcd", "--leader-etcd-endpoints", "https://10.0.0.5:2379"],
         "'https://10.0.0.5:2379' is not an http://host:port URL"),
        // Refused by the daemon, which has no full Foundation to make URL(string:) strict by default.
        (["--leader-election", "etcd", "--leader-etcd-endpoints", "http://etcd one:2379"],
         "'http://etcd one:2379' is not an http://host:port URL"),
        (["--leader-election", "etcd", "--leader-lease-ttl", "1"], "--leader-lease-ttl must be between 2 and 300 seconds; got 1"),
    ])
    func unusableOptionsAreRefused(arguments: [String], message: String) throws {
        let result = try VPCRouterUnderTest.run(["-m", "http", "-H", "tcp", "-p", "\(freeLoopbackPort())"] + arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func anEC2EndpointWithASpaceIsRefusedByName() throws {
        var environment = VPCRouterUnderTest.environment(ec2Endpoint: "http://ec2 local:1")
        environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
        let result = try ProcessRunner.run(PackagePaths.vpcrouter, VPCRouterUnderTest.location + [
            "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "127.0.0.1", "-H", "tcp", "-p", "\(freeLoopbackPort())",
            "--state-dir", try PackagePaths.temporaryDirectory("vpcr-endpoint").path,
        ], environment: environment, timeout: 60)
        #expect(result.status != 0 && result.stderr.contains("AWS_ENDPOINT_URL_EC2: 'http://ec2 local:1' is not an http(s) URL"),
                "status \(result.status): \(result.stderr)")
    }

    /// Parsed like the etcd mode's `--etcd-endpoints`: without a port, etcd's client port (this
    /// option alone once called port 80).
    @Test func aLeaderEndpointWithoutAPortIsCalledOnEtcdsClientPort() async throws {
        let state = try PackagePaths.temporaryDirectory("vpcr-leader-port")
        defer { try? FileManager.default.removeItem(at: state) }
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "http", "-H", "tcp", "-p", "\(freeLoopbackPort())", "--state-dir", state.path,
            "--leader-election", "etcd", "--leader-etcd-endpoints", "http://127.0.0.1/,http://[::1]", "--leader-lease-ttl", "2",
        ])
        #expect(await daemon.outputAppears("leader election: campaigning"), "\(daemon.output)")
        #expect(daemon.output.contains("leader.endpoints=http://127.0.0.1:2379,http://[::1]:2379"), "\(daemon.output)")
        #expect(await daemon.stopped() == 0, "\(daemon.output.suffix(2000))")
    }

    @Test func theEtcdModePluginLoadsBesideTheElectionOptions() throws {
        let listing = try VPCRouterUnderTest.run(["plugins"], location: [])
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("etcd"), "\(listing.stdout)")
        #expect(!listing.stdout.contains("collides"), "\(listing.stdout)")
    }

    @Test func withoutEtcdTheReplicaFollowsAndSaysSo() async throws {
        let port = freeLoopbackPort()
        let state = try PackagePaths.temporaryDirectory("vpcr-leader-options")
        let daemon = try VPCRouterUnderTest.launch([
            "-m", "http", "-H", "tcp", "-p", "\(port)", "--state-dir", state.path,
            "--leader-election", "etcd", "--leader-etcd-endpoints", "http://127.0.0.1:9", "--leader-lease-ttl", "2",
        ])
        #expect(await daemon.outputAppears("leader election: etcd unreachable; following, no route is written"), "\(daemon.output)")
        let overview = try await HTTPProbe.request("http://127.0.0.1:\(port)/", headers: ["Accept": "application/json"]).json as? [String: Any]
        let leadership = overview?["leadership"] as? [String: Any]
        #expect(leadership?["election"] as? String == "etcd")
        #expect(leadership?["role"] as? String == "follower")
        let metrics = try await HTTPProbe.request("http://127.0.0.1:\(port)/metrics").text
        #expect(metrics.contains("vpcrouter_leader 0"), "\(metrics)")
        #expect(daemon.stop() == 0)
    }
}
