import RouteModel
import Runtime
import Testing

/// A router failure: the failover writes go out from the last observation before any new read,
/// and the main pass that follows finds them done.
@Suite(.timeLimit(.minutes(1)))
struct FailoverScenarioTests {
    typealias H = RuntimeHarness

    @Test func routerFailureWritesTheFailoversFirstAndTheMainPassHasNothingLeft() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { _ in
            try await harness.settled()
            #expect(harness.vpc.writes.isEmpty, "healthy routers: nothing to write")
            let mark = harness.vpc.operations.count
            let passes = harness.reconcile.passes
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.waitForPasses(passes + 1)
            try await harness.quiet()
            // Both moves before any read; then one re-read that shows them, which is also the main
            // pass's observation: its plan has nothing left to write.
            #expect(Array(harness.vpc.operations[mark...]) == [
                .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"),
                .replace(table: H.table, cidr: H.cidr2, eni: "eni-b"),
                .observe,
            ])
            #expect(harness.reconcile.passes == passes + 1)
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b")
            #expect(harness.vpc.target(of: H.cidr2, in: H.table) == "eni-b")
            #expect(harness.status.ips()["failed_ips"] == .array([.string("10.0.1.10")]))
        }
    }
}
