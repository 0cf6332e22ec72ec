import RouteModel
import Runtime
import Testing

/// A spec that arrives while a pass is under way is the one in force after the next pass.
@Suite(.timeLimit(.minutes(1)))
struct SpecChangeScenarioTests {
    typealias H = RuntimeHarness

    @Test func specChangedMidPassIsInForceAfterTheNextPass() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { _ in
            try await harness.settled()
            let mark = harness.vpc.operations.count
            let passes = harness.reconcile.passes
            // The pass for the second spec stops in its read of the VPC...
            harness.vpc.inject(.delay(.milliseconds(300)), on: .reads)
            harness.submit([H.cidr1: [H.routerA, H.routerB], H.cidr2: [H.routerA, H.routerB], H.cidr3: [H.routerA]])
            try await eventually("the pass's read to start") { harness.vpc.inFlight == 1 }
            // ...while a third one, which moves the new CIDR to router B, is accepted.
            harness.submit([H.cidr1: [H.routerA, H.routerB], H.cidr2: [H.routerA, H.routerB], H.cidr3: [H.routerB]])
            harness.clock.advance(by: .milliseconds(300))
            try await harness.waitForPasses(passes + 2)
            try await harness.quiet()
            #expect(Array(harness.vpc.operations[mark...]) == [
                .observe,  // delayed; the pass goes on with the spec it started with
                .create(table: H.table, cidr: H.cidr3, eni: "eni-a"),
                .observe,  // confirms the create; the next pass plans from it, with the newest spec
                .replace(table: H.table, cidr: H.cidr3, eni: "eni-b"),
                .observe,
            ])
            #expect(harness.vpc.target(of: H.cidr3, in: H.table) == "eni-b")
            #expect(harness.specStore.snapshot?.generation == 3)
            #expect(harness.status.routeInfo()["route_spec"]?["10.57.0.0/24"] == .array([.string("10.0.1.11")]))
        }
    }
}
