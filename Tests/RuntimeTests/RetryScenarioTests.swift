import RouteModel
import Runtime
import Testing

/// A failed failover write is retried after its backoff, on its own schedule: here the recheck
/// timer is off, so nothing else would ever try again.
@Suite(.timeLimit(.minutes(1)))
struct RetryScenarioTests {
    typealias H = RuntimeHarness

    @Test func failedFailoverWriteIsRetriedAfterTheBackoffWithoutARecheck() async throws {
        let harness = try RuntimeHarness(recheck: nil)
        try await harness.run { _ in
            try await harness.settled()
            let mark = harness.vpc.operations.count
            let passes = harness.reconcile.passes
            // Both failover writes fail, and the first write of the retry too.
            harness.vpc.inject(.fail, on: .writes, count: 3)
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.waitForPasses(passes + 1)
            try await harness.quiet()
            // No pass follows at once: the retry's backoff decides when to try again.
            #expect(Array(harness.vpc.operations[mark...]) == [
                .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"),  // fails
                .replace(table: H.table, cidr: H.cidr2, eni: "eni-b"),  // fails
            ])
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-a")

            // /vpc shows the pending retry.
            let retry = try #require(harness.status.vpc()["retry"])
            #expect(retry["failed_passes"] == .number(1))
            #expect(retry["next_delay_s"] == .number(0.5))
            #expect(retry["retries"] == .number(1))
            guard case .string(let problem) = retry["last_problem"] else {
                Issue.record("no last_problem in \(retry)")
                return
            }
            #expect(problem.contains("route write failed"))
            #expect(harness.metrics.exposition().contains("vpcrouter_reconcile_retry_delay_seconds 0.5"))

            // Nothing happens until the backoff has passed on the clock...
            let firstRetry = harness.vpc.operations.count
            harness.clock.advance(by: .milliseconds(499))
            try await harness.quiet()
            #expect(harness.vpc.operations.count == firstRetry)
            // ...then the retry reads the VPC again and writes what is still wrong; one write fails again.
            harness.clock.advance(by: .milliseconds(1))
            try await harness.waitForPasses(passes + 2)
            try await harness.quiet()
            #expect(Array(harness.vpc.operations[firstRetry...]) == [
                .observe,
                .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"),  // fails
                .replace(table: H.table, cidr: H.cidr2, eni: "eni-b"),
                .observe,
            ])
            #expect(harness.status.vpc()["retry"]?["next_delay_s"] == .number(1))

            // The second retry, after the doubled backoff, finishes the failover.
            let secondRetry = harness.vpc.operations.count
            harness.clock.advance(by: .seconds(1))
            try await harness.waitForPasses(passes + 3)
            try await harness.quiet()
            #expect(Array(harness.vpc.operations[secondRetry...]) == [
                .observe,
                .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"),
                .observe,
            ])
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b")
            let cleared = try #require(harness.status.vpc()["retry"])
            #expect(cleared["failed_passes"] == .number(0))
            #expect(cleared["next_delay_s"] == .null)
        }
    }

    @Test func backoffDoublesWhileTheReadKeepsFailing() async throws {
        let harness = try RuntimeHarness(recheck: nil)
        try await harness.run { _ in
            try await harness.settled()
            let passes = harness.reconcile.passes
            harness.vpc.inject(.throttle, on: .reads, count: 2)
            harness.submit([H.cidr1: [H.routerA, H.routerB], H.cidr2: [H.routerA, H.routerB], H.cidr3: [H.routerB]])
            try await harness.waitForPasses(passes + 1)
            #expect(harness.status.vpc()["retry"]?["next_delay_s"] == .number(0.5))
            harness.clock.advance(by: .milliseconds(500))
            try await harness.waitForPasses(passes + 2)
            #expect(harness.status.vpc()["retry"]?["next_delay_s"] == .number(1))
            #expect(harness.status.vpc()["retry"]?["failed_passes"] == .number(2))
            #expect(harness.vpc.writes.isEmpty, "nothing is written on a failed read")
            harness.clock.advance(by: .seconds(1))
            try await harness.waitForPasses(passes + 3)
            #expect(harness.vpc.writes == [.create(table: H.table, cidr: H.cidr3, eni: "eni-b")])
            #expect(harness.status.vpc()["retry"]?["failed_passes"] == .number(0))
        }
    }
}
