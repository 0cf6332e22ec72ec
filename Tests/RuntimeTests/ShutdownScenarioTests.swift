import RouteModel
import Runtime
import Testing

/// A stop request lets the route write in flight finish and starts no new one.
@Suite(.timeLimit(.minutes(1)))
struct ShutdownScenarioTests {
    typealias H = RuntimeHarness

    @Test func writeInFlightFinishesAndNoNewWriteStartsAfterTheStopRequest() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { shutdown in
            try await harness.settled()
            let mark = harness.vpc.operations.count
            harness.vpc.inject(.delay(.seconds(2)), on: .writes)
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await eventually("the first failover write in flight") { harness.vpc.inFlight == 1 }
            shutdown.triggerGracefulShutdown()
            // The write in flight is not abandoned: it finishes when its delay has passed...
            harness.clock.advance(by: .seconds(2))
            try await eventually("the write in flight to finish") { harness.vpc.inFlight == 0 }
            #expect(harness.vpc.completed.last == .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"))
            // ...and nothing starts after it: not the second failover, not a read for the main pass.
            try await harness.quiet()
            #expect(Array(harness.vpc.operations[mark...]) == [.replace(table: H.table, cidr: H.cidr1, eni: "eni-b")])
        }
        #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b")
        #expect(harness.vpc.target(of: H.cidr2, in: H.table) == "eni-a")
    }
}
