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

    /// Router A fails and the route moves to B; returns the count of writes so far.
    static func failOverToTheBackup(_ harness: RuntimeHarness) async throws -> Int {
        try await harness.settled()
        harness.probe.set(H.routerA, .failed)
        try await harness.nextHealthRound()
        try await eventually("the failover to B") { harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b" }
        try await harness.quiet()
        return harness.vpc.writes.count
    }

    /// Router A answers again: healthy after rise (two rounds), while the route stays on B.
    static func recover(_ harness: RuntimeHarness) async throws {
        harness.probe.set(H.routerA, .healthy)
        try await harness.nextHealthRound()
        try await harness.nextHealthRound()
        try await harness.quiet()
    }

    /// Moves the clock on in one step (the health loop runs one round for it) and lets the passes it causes finish.
    static func wait(_ harness: RuntimeHarness, _ duration: Duration) async throws {
        harness.clock.advance(by: duration)
        try await harness.quiet()
    }

    @Test func theRouteGoesBackOnceAfterTheHoldTimeByTheTimerAlone() async throws {
        let harness = try Self.harness()
        try await harness.run { _ in
            let mark = try await Self.failOverToTheBackup(harness)
            try await Self.recover(harness)
            // Healthy for about 28 s of the 30 s hold: the route stays on the backup...
            try await Self.wait(harness, .seconds(27))
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b", "moved back before the hold time")
            // ...and goes back once the hold has passed, with no recheck and no health change to prompt it.
            harness.clock.advance(by: .seconds(4))
            try await eventually("the fail-back") { harness.vpc.target(of: H.cidr1, in: H.table) == "eni-a" }
            try await harness.quiet()
            try await Self.wait(harness, .seconds(60))
            #expect(Array(harness.vpc.writes[mark...]) == [.replace(table: H.table, cidr: H.cidr1, eni: "eni-a")])
            let route = harness.status.vpc()["route_tables"]?[H.table]?["routes"]?[H.cidr1.description]
            #expect(route?["router"] == .string(H.routerA.description))
        }
    }

    @Test func aFlapDuringTheHoldStartsItAgain() async throws {
        let harness = try Self.harness()
        try await harness.run { _ in
            let mark = try await Self.failOverToTheBackup(harness)
            try await Self.recover(harness)
            try await Self.wait(harness, .seconds(20))
            // One lost round 20 s into the hold: A fails (fall 1) and must start over.
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.quiet()
            try await Self.recover(harness)
            // The first hold ended about 15 s ago by now; the route must still be on B.
            try await Self.wait(harness, .seconds(15))
            #expect(harness.vpc.target(of: H.cidr1, in: H.table) == "eni-b", "moved back before a full hold after the flap")
            harness.clock.advance(by: .seconds(16))
            try await eventually("the fail-back after a full hold") { harness.vpc.target(of: H.cidr1, in: H.table) == "eni-a" }
            try await harness.quiet()
            #expect(Array(harness.vpc.writes[mark...]) == [.replace(table: H.table, cidr: H.cidr1, eni: "eni-a")])
        }
    }
}
