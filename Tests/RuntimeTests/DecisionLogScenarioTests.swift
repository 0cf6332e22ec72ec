import RouteModel
import Runtime
import Testing

/// `/vpc`'s `recent_decisions` (what the status page lists): the failover writes stay there after
/// later passes find nothing to do, newest first, with the time from the health change to visible.
@Suite(.timeLimit(.minutes(1)))
struct DecisionLogScenarioTests {
    typealias H = RuntimeHarness

    @Test func aFailoverStaysInTheRecentDecisionsWithItsLatency() async throws {
        let harness = try RuntimeHarness()
        try await harness.run { _ in
            try await harness.settled()
            // A start-up hold (there is one only if a pass ran before the first health round) is
            // recorded once, however many passes it lasted; nothing else was decided.
            guard case .array(let atStart) = harness.status.vpc()["recent_decisions"] else {
                Issue.record("no recent_decisions on /vpc")
                return
            }
            #expect(atStart.count <= 1 && atStart.allSatisfy { $0["action"] == .string("hold") }, "\(atStart)")
            let passes = harness.reconcile.passes
            harness.probe.set(H.routerA, .failed)
            try await harness.nextHealthRound()
            try await harness.waitForPasses(passes + 1)
            try await harness.quiet()
            guard case .array(let all) = harness.status.vpc()["recent_decisions"] else {
                Issue.record("no recent_decisions on /vpc")
                return
            }
            #expect(all.count == 2 + atStart.count && all.dropFirst(2).allSatisfy { $0["action"] == .string("hold") })
            let decisions = Array(all.prefix(2))
            // Newest first: the second CIDR was written last.
            #expect(decisions.map { $0["cidr"] } == [.string(H.cidr2.description), .string(H.cidr1.description)])
            for decision in decisions {
                #expect(decision["action"] == .string("replace"))
                #expect(decision["failover"] == .bool(true))
                #expect(decision["from"] == .string("10.0.1.10"))
                guard case .number(let latency)? = decision["detection_to_visible_ms"] else {
                    Issue.record("no latency on \(decision)")
                    continue
                }
                #expect(latency >= 0)
            }
        }
    }
}
