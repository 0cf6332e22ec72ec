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

    /// The re-read that confirms a failover is abandoned on a stop request: nothing is decided on
    /// it, and the graceful window must not be spent polling (a busy EC2 endpoint can take seconds).
    @Test func stopRequestEndsTheWaitForWrittenRoutesToShow() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { shutdown in
            try await harness.settled()
            harness.vpc.inject(.delay(.seconds(30)), on: .reads)
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await eventually("the failovers written and the confirming read in flight") {
                harness.vpc.writes.count == 2 && harness.vpc.inFlight == 1
            }
            // The harness then checks that the services end with the clock standing still.
        }
        #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b")
    }

    /// Written routes that do not show in re-reads: a stop request ends the polling between reads.
    @Test func stopRequestEndsPollingForRoutesThatDoNotShow() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { shutdown in
            try await harness.settled()
            harness.vpc.hideWrites(true)
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await eventually("the failovers written and a confirming read made") {
                harness.vpc.writes.count == 2 && harness.vpc.operations.last == .observe && harness.vpc.inFlight == 0
            }
        }
        #expect(harness.vpc.writes.count == 2, "nothing written after the stop request")
    }
}
