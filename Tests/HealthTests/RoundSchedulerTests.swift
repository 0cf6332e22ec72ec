import Health
import RouteModel
import Testing

@Suite("Round scheduler")
struct RoundSchedulerTests {
    @Test("fast rounds keep to the grid")
    func fastRounds() {
        var scheduler = RoundScheduler(interval: .seconds(2), firstRoundAt: .seconds(10))
        #expect(scheduler.delay(from: .seconds(9)) == .seconds(1))
        let plan = scheduler.roundFinished(at: .seconds(10.3))
        #expect(plan.startAt == .seconds(12))
        #expect(plan.delay == .milliseconds(1700))
        #expect(plan.skippedSlots == 0)
        #expect(scheduler.roundFinished(at: .seconds(12.1)).startAt == .seconds(14))
    }

    @Test("a slow round skips the slots it overran: no overlap, no negative wait, grid kept")
    func slowRound() {
        var scheduler = RoundScheduler(interval: .seconds(1), firstRoundAt: .seconds(0))
        let plan = scheduler.roundFinished(at: .seconds(3.5)) // slots 1, 2 and 3 passed
        #expect(plan.startAt == .seconds(4))
        #expect(plan.delay == .milliseconds(500))
        #expect(plan.skippedSlots == 3)
        #expect(scheduler.missedSlots == 3)
        // Back to normal afterwards.
        #expect(scheduler.roundFinished(at: .seconds(4.2)).startAt == .seconds(5))
    }

    @Test("a round ending exactly on the next slot starts the next one at once")
    func roundEndsOnSlot() {
        var scheduler = RoundScheduler(interval: .seconds(1), firstRoundAt: .seconds(0))
        let plan = scheduler.roundFinished(at: .seconds(1))
        #expect(plan.startAt == .seconds(1))
        #expect(plan.delay == .zero)
        #expect(plan.skippedSlots == 0)
    }

    @Test("the wait is never negative when the caller is late")
    func lateCaller() {
        var scheduler = RoundScheduler(interval: .seconds(1), firstRoundAt: .seconds(0))
        scheduler.roundFinished(at: .seconds(0.5))
        #expect(scheduler.delay(from: .seconds(7)) == .zero)
    }

    @Test("a round that hung for a long time costs no loop")
    func hungRound() {
        var scheduler = RoundScheduler(interval: .milliseconds(100), firstRoundAt: .seconds(0))
        let plan = scheduler.roundFinished(at: .seconds(86_400))
        #expect(plan.startAt == .seconds(86_400))
        #expect(plan.skippedSlots == 863_999)
    }
}
