import RouteModel
import Runtime
import Testing

/// What moves a route, as the health policy decides it: only a failed router (fall reached), and
/// never to a router that has not been judged healthy while one that has is there; a round the
/// plugin could not run is no opinion.
@Suite(.timeLimit(.minutes(1)))
struct HealthPolicyScenarioTests {
    typealias H = RuntimeHarness

    @Test func routesStayOnARouterShortOfFallAndMoveWhenItIsReached() async throws {
        let harness = try RuntimeHarness(fall: 3)
        try await harness.run { _ in
            try await harness.settled()
            harness.probe.set(H.routerA, .failed)
            // Two failed rounds: router A is suspect and keeps its routes, also through a pass
            // (the spec submitted again) that plans with it suspect.
            try await harness.nextHealthRound()
            try await harness.nextHealthRound()
            try await harness.quiet()
            #expect(harness.status.ips()["suspect_ips"] == .array([.string("10.0.1.10")]))
            try await harness.passWithTheSameSpec()
            #expect(harness.vpc.writes.isEmpty)
            // The third: failed, and both routes move.
            try await harness.nextHealthRound()
            try await eventually("both failovers written") { harness.vpc.writes.count == 2 }
            #expect(harness.vpc.writes == [
                .replace(table: H.table, cidr: H.cidr1, eni: "eni-b"),
                .replace(table: H.table, cidr: H.cidr2, eni: "eni-b"),
            ])
        }
    }

    @Test func oneLostProbeMovesNothing() async throws {
        let harness = try RuntimeHarness(fall: 3)
        try await harness.run { _ in
            try await harness.settled()
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.quiet()
            try await harness.passWithTheSameSpec()
            harness.probe.set(H.routerA, .healthy)
            for _ in 0..<3 { try await harness.nextHealthRound() }
            try await harness.quiet()
            #expect(harness.vpc.writes.isEmpty)
            #expect(harness.status.ips()["suspect_ips"] == .array([]))
        }
    }

    @Test func aRouterNeverJudgedHealthyIsNotChosenWhileAHealthyOneExists() async throws {
        let cidrs = [H.cidr1, H.cidr2, H.cidr3]
        var routes = H.threeRouterVPC()
        routes.routeTables[0].routes.append(.init(destination: H.cidr3, target: .networkInterface(id: "eni-a", instanceId: "i-a")))
        let harness = try RuntimeHarness(
            vpc: routes, spec: Dictionary(uniqueKeysWithValues: cidrs.map { ($0, [H.routerA, H.routerB, H.routerC]) }))
        // Router B's plugin never has an opinion on it.
        harness.probe.set(H.routerB, .unknown)
        try await harness.run { _ in
            try await harness.settled()
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await eventually("the three failovers written") { harness.vpc.writes.count == 3 }
            try await harness.quiet()
            #expect(Set(harness.vpc.writes) == Set(cidrs.map { .replace(table: H.table, cidr: $0, eni: "eni-c") }))
        }
    }

    @Test func aFirstRoundThePluginCouldNotRunIsNotACompletedRound() async throws {
        let harness = try RuntimeHarness()
        harness.probe.fail(rounds: 1)
        try await harness.run { _ in
            try await eventually("the first round to fail") { harness.probe.rounds == 1 }
            try await harness.quiet()
            #expect(!harness.health.snapshot.firstRoundCompleted)
            #expect(harness.status.readinessGaps() == ["a completed health round"])
            #expect(harness.vpc.writes.isEmpty)
            // The next round answers: health is complete and the daemon ready.
            try await harness.nextHealthRound()
            try await harness.settled()
            #expect(harness.health.snapshot.firstRoundCompleted)
        }
    }
}
