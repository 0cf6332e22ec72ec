import RouteModel
import Runtime
import Testing

/// Leadership is checked right before every write: once it is gone, the rest of a pass and any
/// retry send nothing.
@Suite(.timeLimit(.minutes(1)))
struct LeadershipScenarioTests {
    typealias H = RuntimeHarness

    @Test func leadershipLostBetweenTwoWritesStopsTheRest() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { _ in
            try await harness.settled()
            let mark = harness.vpc.operations.count
            let passes = harness.reconcile.passes
            let leadership = harness.leadership
            harness.vpc.onWriteDone { _ in leadership.lose() }
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.waitForPasses(passes + 1)
            try await harness.quiet()
            // The first failover went out while this replica led; the second, planned in the same
            // pass and again in the pass that followed, was never sent.
            #expect(Array(harness.vpc.operations[mark...]) == [
                .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"),
                .observe,
            ])
            #expect(harness.vpc.target(of: H.cidr2, in: H.table) == "eni-a")
            #expect(harness.metrics.exposition().contains("vpcrouter_route_writes_skipped_not_leader_total 2"))
        }
    }

    @Test func retryAfterLeadershipWasLostSendsNothing() async throws {
        let harness = try RuntimeHarness(recheck: nil)
        try await harness.run { _ in
            try await harness.settled()
            let passes = harness.reconcile.passes
            // Both failover writes fail: a retry is scheduled.
            harness.vpc.inject(.fail, on: .writes, count: 2)
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.waitForPasses(passes + 1)
            #expect(harness.vpc.writes.count == 2)
            #expect(harness.status.vpc()["retry"]?["next_delay_s"] == .number(0.5))
            // Leadership ends before the retry is due.
            harness.leadership.lose()
            let mark = harness.vpc.operations.count
            harness.clock.advance(by: .milliseconds(500))
            try await harness.waitForPasses(passes + 2)
            try await harness.quiet()
            #expect(Array(harness.vpc.operations[mark...]) == [.observe], "the retry reads but writes nothing")
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-a")
        }
    }
}
