import Foundation
import Synchronization

/// One vpcrouter replica under leader election, talking to moto through its own fault proxy so
/// its EC2 requests (and route writes) can be counted apart from every other replica's.
public final class LeaderReplica: @unchecked Sendable {
    public let name: String
    public let proxy: FaultProxy
    public let port: Int
    public let daemon: DaemonProcess

    private init(name: String, proxy: FaultProxy, port: Int, daemon: DaemonProcess) {
        self.name = name
        self.proxy = proxy
        self.port = port
        self.daemon = daemon
    }

    /// Starts the replica with `--leader-election etcd` against `etcd` and the fixture's VPC;
    /// `arguments` carry the mode, health and anything else.
    public static func start(name: String, moto: MotoServer, fixture: MotoFixture, etcd: EtcdServer, ttl: Int,
                             key: String, arguments: [String]) async throws -> LeaderReplica {
        let proxy = try await FaultProxy.start(upstream: moto.endpoint)
        var environment = VPCRouterUnderTest.environment(ec2Endpoint: proxy.endpoint.absoluteString)
        environment["AWS_ACCESS_KEY_ID"] = fixture.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = fixture.secretAccessKey
        let state = try PackagePaths.temporaryDirectory("vpcr-replica-\(name)")
        let port = freeLoopbackPort()
        let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
            "-r", fixture.region, "-v", fixture.vpcId, "-p", "\(port)", "--state-dir", state.path,
            "--leader-election", "etcd", "--leader-etcd-endpoints", etcd.endpoint, "--leader-key", key,
            "--leader-lease-ttl", "\(ttl)", "--leader-id", name,
        ] + arguments, environment: environment)
        return LeaderReplica(name: name, proxy: proxy, port: port, daemon: daemon)
    }

    /// `leadership.role` from `GET /` ("leader" or "follower"), or nil when it does not answer.
    public func role() async -> String? {
        guard let answer = try? await HTTPProbe.request("http://127.0.0.1:\(port)/", headers: ["Accept": "application/json"], timeout: 2),
              let document = answer.json as? [String: Any] else { return nil }
        return (document["leadership"] as? [String: Any])?["role"] as? String
    }

    /// Route writes (CreateRoute, ReplaceRoute, DeleteRoute, ...) this replica sent to EC2.
    public func routeWrites() async throws -> Int {
        try await proxy.stats().categories["mutating"]?.forwarded ?? 0
    }

    /// Unix time of `kill()`, which ends a leadership the log cannot close.
    private let killedAt = Mutex<Double?>(nil)

    public func kill() {
        killedAt.withLock { $0 = Date().timeIntervalSince1970 }
        _ = daemon.stop(signal: SIGKILL)
    }

    /// Its leadership windows (from its log) and write times (from its proxy), for `LeadershipHistory`.
    public func history() async throws -> LeadershipHistory.Replica {
        let writes = try await proxy.stats().categories["mutating"]?.wall ?? []
        let openEnd = killedAt.withLock { $0 } ?? Date().timeIntervalSince1970
        return LeadershipHistory.Replica(name: name, windows: LeadershipHistory.windows(inLog: daemon.output, openEnd: openEnd),
                                         writes: writes)
    }

    /// SIGSTOP: the process freezes with its lease, its timers and any request it was about to send.
    public func pause() {
        Foundation.kill(daemon.process.processIdentifier, SIGSTOP)
    }

    public func resume() {
        Foundation.kill(daemon.process.processIdentifier, SIGCONT)
    }

    public func stop() {
        _ = daemon.stop()
        proxy.stop()
    }
}
