// Measures the EC2 client against moto behind faultproxy.py emulating EC2's buckets
// (mutating 50 burst / 5 per s, describe 100 / 20):
//   1. 100 route writes from full buckets; the ideal is (100 - 50) / 5 = 10 s.
//   2. API calls per steady-state read of one VPC (must be <= 3).
// Usage: swift run -c release EC2Bench
import EC2
import Foundation
import RouteModel
import TestSupport

let moto = try await MotoServer.start()
defer { moto.stop() }
let fixture = try moto.makeFixture()
let proxy = try await FaultProxy.start(upstream: moto.endpoint)
defer { proxy.stop() }
try await proxy.configure(FaultProxy.ec2Throttling)

func makeClient() -> EC2Client {
    EC2Client(
        configuration: EC2ClientConfiguration(region: fixture.region, endpoint: proxy.endpoint),
        credentials: StaticCredentialsProvider(AWSCredentials(accessKeyId: fixture.accessKeyId, secretAccessKey: fixture.secretAccessKey)))
}

// 1. Route writes.
let writer = makeClient()
let writes = 100
let concurrency = 16
let started = ContinuousClock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    var next = 0
    func launch() {
        let index = next
        next += 1
        group.addTask {
            let destination = IPCIDR(network: IPAddress.v4(IPv4Address(UInt32(10 << 24 | 100 << 16 | index << 8))), prefixLength: 24)
            try await writer.upsertRoute(
                routeTableId: fixture.routeTableA, destination: destination, networkInterfaceId: fixture.eniA, existing: false, priority: .failover)
        }
    }
    for _ in 0..<concurrency { launch() }
    while try await group.next() != nil {
        if next < writes { launch() }
    }
}
let elapsed = ContinuousClock.now - started
let writeStats = try await proxy.stats()
let ideal = Double(writes - 50) / 5
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("route writes: \(writes) in \(String(format: "%.2f", seconds)) s (ideal \(String(format: "%.1f", ideal)) s, overhead \(String(format: "%+.2f", seconds - ideal)) s)")
print("  throttled by the EC2-style proxy: \(writeStats.categories["mutating"]?.throttled ?? 0); client retries: \(writer.metrics.snapshot().values.reduce(0) { $0 + $1.retries })")
print("  busiest 1 s window at the proxy: \(FaultProxyStats.busiestWindow(writeStats.categories["mutating"]?.times ?? [], window: 1.0)) writes")

// 2. Reads per observation of one VPC.
try await proxy.resetStats()
let reader = makeClient()
_ = try await reader.observeVPC(fixture.vpcId)
let firstRead = try await proxy.stats()
try await proxy.resetStats()
let rounds = 10
for _ in 0..<rounds { _ = try await reader.observeVPC(fixture.vpcId) }
let steady = try await proxy.stats()
let firstActions = firstRead.actions.keys.sorted().map { "\($0)=\(firstRead.actions[$0]!.count)" }.joined(separator: " ")
print("first read of the VPC: \(firstRead.total) calls (\(firstActions))")
let steadyActions = steady.actions.keys.sorted().map { "\($0)=\(steady.actions[$0]!.count)" }.joined(separator: " ")
print("BENCH " + String(decoding: try JSONSerialization.data(withJSONObject: [
    "benchmark": "EC2Bench", "writes": writes, "write_seconds": seconds, "write_ideal_seconds": ideal,
    "throttled": writeStats.categories["mutating"]?.throttled ?? 0,
    "first_read_calls": firstRead.total, "steady_calls_per_read": Double(steady.total) / Double(rounds),
] as [String: Any], options: [.sortedKeys]), as: UTF8.self))
print("steady-state reads: \(String(format: "%.1f", Double(steady.total) / Double(rounds))) calls per read over \(rounds) reads (\(steadyActions)), subnets cached \(Int(reader.configuration.subnetCacheLifetime.components.seconds)) s")
