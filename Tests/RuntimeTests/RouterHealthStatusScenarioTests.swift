import RouteModel
import Runtime
import Testing

/// `/ips` `routers` (the status page's router table): each router's condition, last verdict and
/// streaks against fall and rise, and the hold-down left once it has failed.
@Suite(.timeLimit(.minutes(1)))
struct RouterHealthStatusScenarioTests {
    typealias H = RuntimeHarness

    @Test func aFailedRouterShowsItsStreakAndHoldDown() async throws {
        let harness = try RuntimeHarness(fall: 2)
        try await harness.run { _ in
            try await harness.settled()
            let healthy = harness.status.ips()["routers"]?[H.routerA.description]
            #expect(healthy?["condition"] == .string("healthy"))
            #expect(healthy?["last_verdict"] == .string("healthy"))
            #expect(healthy?["failing_rounds"] == .number(0))
            #expect(healthy?["fall"] == .number(2))
            #expect(healthy?["hold_down_remaining_s"] == .null)

            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.nextHealthRound()
            // A round counts at the probe; its result is published just after.
            try await eventually("router A published as failed") {
                harness.status.ips()["routers"]?[H.routerA.description]?["condition"] == .string("failed")
            }
            let failed = harness.status.ips()["routers"]?[H.routerA.description]
            #expect(failed?["condition"] == .string("failed"))
            #expect(failed?["last_verdict"] == .string("failed"))
            #expect(failed?["failing_rounds"] == .number(2))
            #expect(failed?["healthy_rounds"] == .number(0))
            guard case .number(let holdDown)? = failed?["hold_down_remaining_s"] else {
                Issue.record("no hold-down on a failed router: \(String(describing: failed))")
                return
            }
            // The default hold-down is ten intervals of the harness's 1 s schedule.
            #expect(holdDown > 0 && holdDown <= 10)
        }
    }

    /// The round-trip time a plugin measured reaches `/ips` with its router's verdict; a round
    /// without one shows none rather than an old figure.
    @Test func roundTripTimeOfTheLastVerdictIsShown() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { _ in
            try await harness.settled()
            harness.probe.set(H.routerA, .healthy, roundTrip: .microseconds(1_250))
            try await harness.nextHealthRound()
            try await eventually("router A's round trip published") {
                harness.status.ips()["routers"]?[H.routerA.description]?["rtt_ms"] == .number(1.25)
            }
            #expect(harness.status.ips()["routers"]?[H.routerB.description]?["rtt_ms"] == .null)
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await eventually("router A's failed round published") {
                harness.status.ips()["routers"]?[H.routerA.description]?["last_verdict"] == .string("failed")
            }
            #expect(harness.status.ips()["routers"]?[H.routerA.description]?["rtt_ms"] == .null)
        }
    }
}
