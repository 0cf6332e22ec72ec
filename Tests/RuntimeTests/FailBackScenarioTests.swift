import RouteModel
import Runtime
import Testing

/// Ordered backups with `--fail-back-after`, on the manual clock: a route held on the backup goes
/// back to the preferred router once, by the runtime's own timer (no recheck), when that router
/// has been healthy without a break for the hold time, and a flap in between starts the hold again.
@Suite(.timeLimit(.minutes(1)))
struct FailBackScenarioTests {
    typealias H = RuntimeHarness

    static func harness() throws -> RuntimeHarness {
        try RuntimeHarness(spec: [H.cidr1: [H.routerA, H.routerB]], preferenceOrdered: [H.cidr1],
                           recheck: nil, holdDown: .zero, failBackAfter: .seconds(30))
    }

    /// Health rounds, one interval of the clock each, until `condition` holds (at most `limit`).
    static func rounds(_ harness: RuntimeHarness, upTo limit: Int, until condition: () -> Bool = { false }) async throws -> Int {
        for round in 1...limit {
            try await harness.nextHealthRound()
            try await harness.quiet()
            if condition() { return round }
        }
        return limit
    }

    @Test func theRouteGoesBackOnceAfterTheHoldTimeByTheTimerAlone() async throws {
        let harness = try Self.harness()
        try await harness.run { _ in
            try await harness.settled()
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await eventually("the failover to B") { harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b" }
            try await harness.quiet()
            let mark = harness.vpc.writes.count

            harness.probe.set(H.routerA, .healthy)
            // Healthy again after rise (2 rounds); the route is held on B for the hold time...
            let backAfter = try await Self.rounds(harness, upTo: 45) { harness.vpc.target(of: H.cidr1, in: H.table) == "eni-a" }
            #expect(backAfter >= 30 && backAfter <= 34, "moved back after \(backAfter) rounds of 1 s")
            // ...then it moves back in one write, and no later pass moves it again.
            _ = try await Self.rounds(harness, upTo: 5)
            #expect(Array(harness.vpc.writes[mark...]) == [.replace(table: H.table, cidr: H.cidr1, eni: "eni-a")])
            let route = harness.status.vpc()["route_tables"]?[H.table]?["routes"]?[H.cidr1.description]
            #expect(route?["router"] == .string(H.routerA.description))
        }
    }

    @Test func aFlapDuringTheHoldStartsItAgain() async throws {
        let harness = try Self.harness()
        try await harness.run { _ in
            try await harness.settled()
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await eventually("the failover to B") { harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b" }
            try await harness.quiet()
            let mark = harness.vpc.writes.count

            harness.probe.set(H.routerA, .healthy)
            _ = try await Self.rounds(harness, upTo: 20)
            // One lost round 20 s into the hold: A fails (fall 1) and must start over.
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.quiet()
            harness.probe.set(H.routerA, .healthy)
            // The first hold would have ended 10 s from now; the route must still be on B then.
            _ = try await Self.rounds(harness, upTo: 15)
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b", "moved back before a full hold after the flap")
            let backAfter = try await Self.rounds(harness, upTo: 25) { harness.vpc.target(of: H.cidr1, in: H.table) == "eni-a" }
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-a", "never moved back (\(backAfter) more rounds)")
            #expect(Array(harness.vpc.writes[mark...]) == [.replace(table: H.table, cidr: H.cidr1, eni: "eni-a")])
        }
    }
}
