import RouteModel
import Runtime
import Testing

/// A router failure: the failover writes go out from the last observation before any new read,
/// and the pass that follows plans from the re-read that confirmed them, finding nothing left.
@Suite(.timeLimit(.minutes(1)))
struct FailoverScenarioTests {
    typealias H = RuntimeHarness

    @Test func routerFailureWritesTheFailoversFirstAndTheNextPassHasNothingLeft() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { _ in
            try await harness.settled()
            #expect(harness.vpc.writes.isEmpty, "healthy routers: nothing to write")
            let mark = harness.vpc.operations.count
            let passes = harness.reconcile.passes
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.waitForPasses(passes + 2)
            try await harness.quiet()
            // Both moves before any read; then one re-read that shows them, which is also the
            // observation of the pass that follows: it reads nothing more and writes nothing.
            #expect(Array(harness.vpc.operations[mark...]) == [
                .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"),
                .replace(table: H.table, cidr: H.cidr2, eni: "eni-b"),
                .observe,
            ])
            #expect(harness.reconcile.passes == passes + 2)
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b")
            #expect(harness.vpc.target(of: H.cidr2, in: H.table) == "eni-b")
            #expect(harness.status.ips()["failed_ips"] == .array([.string("10.0.1.10")]))
            // /vpc shows the tables as re-read, with the failover as each route's last action.
            let route = harness.status.vpc()["route_tables"]?[H.table]?["routes"]?["10.55.0.0/24"]
            #expect(route?["eni"] == .string("eni-b"))
            #expect(route?["last_action"] == .string("replace"))
            #expect(route?["status"] == .string("correct"))
        }
    }

    /// Only the moves away from the failed router are written from the last read; the rest of the
    /// plan (here a create a follower could not send) follows at once, planned from the re-read
    /// that confirmed the moves.
    @Test func failoversFromTheLastReadAreFollowedByTheRestOfThePlan() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { _ in
            try await harness.settled()
            harness.leadership.lose()
            let passes = harness.reconcile.passes
            harness.submit([H.cidr1: [H.routerA, H.routerB], H.cidr2: [H.routerA, H.routerB], H.cidr3: [H.routerA, H.routerB]])
            try await harness.waitForPasses(passes + 1)
            try await harness.quiet()
            #expect(harness.vpc.writes.isEmpty, "a follower writes nothing")
            harness.leadership.regain()
            let mark = harness.vpc.operations.count
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await eventually("the create") { harness.vpc.target(of: H.cidr3, in: H.table) == "eni-b" }
            try await harness.quiet()
            #expect(Array(harness.vpc.operations[mark...]) == [
                .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"),
                .replace(table: H.table, cidr: H.cidr2, eni: "eni-b"),
                .observe,
                .create(table: H.table, cidr: H.cidr3, eni: "eni-b"),
                .observe,
            ])
        }
    }
}
