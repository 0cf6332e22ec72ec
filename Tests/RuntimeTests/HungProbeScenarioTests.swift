import RouteModel
import Runtime
import Testing

/// A health plugin that never answers: its rounds give no opinion, health goes stale after a few
/// intervals (readiness fails), and a stop request still ends the runtime.
@Suite(.timeLimit(.minutes(1)))
struct HungProbeScenarioTests {
    typealias H = RuntimeHarness

    @Test func hungProbeGivesNoOpinionGoesStaleAndDoesNotBlockShutdown() async throws {
        let harness = try RuntimeHarness()
        // Stale after 3 intervals + timeout + grace without an answered round: 4.5 s here.
        let staleAfter = HealthService.staleAfter(H.schedule)
        #expect(staleAfter == .milliseconds(4500))
        try await harness.run { _ in
            try await harness.settled()
            let answeredAt = harness.clock.now
            harness.probe.hang()
            // Round 2 starts at 1 s and hangs; at its deadline plus the grace (2.5 s) it counts as
            // no opinion; the rounds due at 3 s and 4 s are skipped behind it.
            try await harness.nextHealthRound()
            harness.clock.advance(by: .milliseconds(1499))
            try await harness.quiet()
            #expect(Self.unanswered(harness) == 0)
            harness.clock.advance(by: .milliseconds(1))
            try await eventually("the overdue round counted") { Self.unanswered(harness) == 1 }
            harness.clock.advance(to: answeredAt + .seconds(4))
            try await eventually("the skipped rounds counted") { Self.unanswered(harness) == 3 }
            #expect(harness.probe.rounds == 2, "no probe is queued behind the hung one")
            #expect(harness.status.readinessGaps().isEmpty, "4 s without an answer is not stale yet")

            harness.clock.advance(to: answeredAt + staleAfter + .milliseconds(1))
            let gaps = harness.status.readinessGaps()
            #expect(gaps.count == 1)
            #expect(gaps.first?.hasPrefix("fresh health results") == true, "\(gaps)")
            // Health keeps its last state: no router is judged and no route moves.
            #expect(harness.status.ips()["failed_ips"] == .array([]))
            #expect(harness.vpc.writes.isEmpty)
            #expect(harness.metrics.exposition().contains("vpcrouter_health_round_age_seconds 4.501"))
        }
        // The services ended while the probe still hangs; let its thread go.
        #expect(harness.probe.answered == 1)
        harness.probe.release()
    }

    @Test func stopRequestEndsTheWaitForAHungProbeAtOnce() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { shutdown in
            try await harness.settled()
            harness.probe.hang()
            try await harness.nextHealthRound()
            // The health loop now waits for the hung probe; its watchdog would end the wait only
            // when the clock reaches the deadline plus the grace, and the clock stands still.
            shutdown.triggerGracefulShutdown()
        }
        // Both services ended (the harness waited for them) with no time passing on the clock.
        #expect(harness.clock.elapsed == H.schedule.interval)
        #expect(harness.probe.answered == 1)
        harness.probe.release()
    }

    static func unanswered(_ harness: RuntimeHarness) -> Int {
        let text = harness.metrics.exposition()
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("vpcrouter_health_rounds_unanswered_total ") }) else { return -1 }
        return Int(line.split(separator: " ")[1]) ?? -1
    }
}
