import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

/// The client through faultproxy.py in front of moto: throttling, 5xx, resets and garbage.
@Suite("Client behaviour through the fault proxy", .moto(), .serialized, .timeLimit(.minutes(3)))
struct FaultProxyTests {
    func withProxy(_ body: (FaultProxy, MotoContext) async throws -> Void) async throws {
        let context = try MotoContext.require()
        let proxy = try await FaultProxy.start(upstream: context.server.endpoint)
        defer { proxy.stop() }
        try await body(proxy, context)
    }

    static let patientRetries = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(50), maxDelay: .milliseconds(500))

    @Test("converges when a third of the answers are 503")
    func converges503() async throws {
        try await withProxy { proxy, context in
            try await proxy.configure(["error503": 0.33, "seed": 3])
            let client = context.client(endpoint: proxy.endpoint, retry: Self.patientRetries)
            for _ in 0..<10 {
                let observation = try await client.observeVPC(context.fixture.vpcId)
                #expect(observation.routeTables.count == 3)
            }
            try await client.upsertRoute(routeTableId: context.fixture.routeTableB, destination: IPCIDR("10.77.0.0/16")!, networkInterfaceId: context.fixture.eniB, existing: false)
            let retries = client.metrics.snapshot().values.reduce(0) { $0 + $1.retries }
            let faulted = try await proxy.stats().actions.values.reduce(0) { $0 + $1.faulted }
            #expect(faulted > 0 && retries == faulted)
        }
    }

    @Test("converges under EC2-style throttling tighter than the client's own buckets")
    func convergesThrottled() async throws {
        try await withProxy { proxy, context in
            try await proxy.configure(["throttle": ["describe": ["burst": 5, "rate": 10]]])
            let client = context.client(endpoint: proxy.endpoint, retry: Self.patientRetries)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.describeRouteTables(vpcId: context.fixture.vpcId).count }
                }
                for try await count in group { #expect(count == 3) }
            }
            let counters = try #require(client.metrics.snapshot()["DescribeRouteTables"])
            let stats = try await proxy.stats()
            #expect(counters.throttles > 0)
            #expect(counters.throttles == stats.actions["DescribeRouteTables"]?.throttled)
            #expect(counters.errors == 0)
        }
    }

    @Test("never sends faster than its own buckets allow (proxy timestamps)")
    func respectsOwnBuckets() async throws {
        try await withProxy { proxy, context in
            let burst = 10.0
            let rate = 10.0
            let client = context.client(endpoint: proxy.endpoint, describe: .init(burst: burst, refillPerSecond: rate))
            let started = ContinuousClock.now
            let startedWall = Date().timeIntervalSince1970
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask { _ = try await client.describeSubnets(vpcId: context.fixture.vpcId) }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(2900), "40 calls from a 10-token bucket at 10/s need about 3 s")
            // Every attempt takes a token, a retry after a slow answer included, so the proxy may see
            // more than 40. A busy machine can only make a request arrive later than it was sent, so
            // the bound holds whatever the load: the k-th arrival (from 0) is no earlier than the
            // bucket allows its sending, (k + 1 - burst) / rate seconds after the start.
            let arrivals = try #require(try await proxy.stats().categories["describe"]?.wall).sorted()
            #expect(arrivals.count >= 40)
            for (index, arrival) in arrivals.enumerated() {
                let earliest = startedWall + max(0, Double(index + 1) - burst) / rate
                // 50 ms for the two clocks' reading and the bucket's timer granularity.
                #expect(arrival >= earliest - 0.05, "request \(index + 1) arrived \(earliest - arrival) s before its token")
            }
        }
    }

    @Test("garbage, resets and HTML pages never crash the client", arguments: ["malformed", "truncated", "html", "empty", "reset"])
    func garbage(mode: String) async throws {
        try await withProxy { proxy, context in
            try await proxy.configure([mode: 0.3, "seed": 11])
            // A long idle timeout: a reset or an early close must be noticed when it happens, not
            // when the connection has been silent for long enough.
            let client = context.client(endpoint: proxy.endpoint, retry: Self.patientRetries, idleTimeout: .seconds(10))
            var succeeded = 0
            for _ in 0..<8 {
                do {
                    _ = try await client.observeVPC(context.fixture.vpcId)
                    succeeded += 1
                } catch let error as EC2Error {
                    #expect(error.isRetryable, "\(error)")
                }
            }
            #expect(succeeded >= 6)

            // Every answer broken: a clear typed error once the attempts are spent.
            try await proxy.configure([mode: 1.0])
            let hopeless = context.client(
                endpoint: proxy.endpoint, retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20)), idleTimeout: .seconds(10))
            let started = ContinuousClock.now
            do {
                _ = try await hopeless.describeRouteTables(vpcId: context.fixture.vpcId)
                Issue.record("expected an error in mode \(mode)")
            } catch let error as EC2Error {
                #expect(error.code == (mode == "reset" ? .transport : .malformedResponse), "\(error)")
                #expect(error.action == "DescribeRouteTables")
            }
            // Three attempts that each waited for the idle timeout would take 30 s.
            #expect(ContinuousClock.now - started < .seconds(8), "three broken answers took \(ContinuousClock.now - started)")
            #expect(hopeless.metrics.snapshot()["DescribeRouteTables"]?.calls == 3)
        }
    }

    @Test("a failover write waiting for a token goes before queued routine writes")
    func failoverFirst() async throws {
        try await withProxy { proxy, context in
            // One token every 2 s: long enough for the three routine writes to be queued before
            // the first refill even on a loaded machine.
            let client = context.client(endpoint: proxy.endpoint, mutating: .init(burst: 1, refillPerSecond: 0.5))
            let table = context.fixture.routeTableA
            let order = Recorder()
            // Use up the single token, then queue routine writes, then one failover write.
            try await client.upsertRoute(routeTableId: table, destination: IPCIDR("10.80.0.0/16")!, networkInterfaceId: context.fixture.eniA, existing: false)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...3 {
                    group.addTask {
                        try await client.upsertRoute(routeTableId: table, destination: IPCIDR("10.8\(index).0.0/16")!, networkInterfaceId: context.fixture.eniA, existing: false)
                        await order.append("routine")
                    }
                }
                try await waitFor { await client.budget.waiting(.mutating) == 3 }
                group.addTask {
                    try await client.upsertRoute(routeTableId: table, destination: IPCIDR("10.80.0.0/16")!, networkInterfaceId: context.fixture.eniB, existing: true, priority: .failover)
                    await order.append("failover")
                }
                try await group.waitForAll()
            }
            #expect(await order.entries.first == "failover")
        }
    }
}
