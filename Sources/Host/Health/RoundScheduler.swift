import RouteModel

/// Plans when probe rounds start so they keep to a fixed rhythm.
///
/// Rounds start on a grid `first + k × interval`. A round that runs past its slot makes the
/// next one start at the first grid slot not before the round's end: rounds never overlap, the
/// wait is never negative, and a slow round shifts nothing after it (the missed slots are
/// counted so the daemon can log them).
public struct RoundScheduler: Sendable, Hashable {
    public let interval: Duration
    public private(set) var nextRoundAt: MonotonicTime
    /// Slots skipped because a round was still running when they came.
    public private(set) var missedSlots: UInt64 = 0

    public init(interval: Duration, firstRoundAt: MonotonicTime) {
        precondition(interval > .zero, "a round interval must be positive")
        self.interval = interval
        self.nextRoundAt = firstRoundAt
    }

    /// How long to wait from `now` until the next round should start; never negative.
    public func delay(from now: MonotonicTime) -> Duration {
        now >= nextRoundAt ? .zero : nextRoundAt - now
    }

    /// Call when a round ends; moves `nextRoundAt` to the next slot not before `end` and
    /// returns the plan for it.
    @discardableResult
    public mutating func roundFinished(at end: MonotonicTime) -> RoundPlan {
        let intervalNanoseconds = UInt64(interval.nanosecondsClamped)
        let slotAfterCurrent = nextRoundAt + interval
        var skipped: UInt64 = 0
        var next = slotAfterCurrent
        if end > slotAfterCurrent {
            // Jump whole intervals at once: a round that hung for an hour costs no loop.
            let late = end.nanoseconds - slotAfterCurrent.nanoseconds
            skipped = (late + intervalNanoseconds - 1) / intervalNanoseconds
            next = MonotonicTime(nanoseconds: slotAfterCurrent.nanoseconds + skipped * intervalNanoseconds)
        }
        nextRoundAt = next
        missedSlots += skipped
        return RoundPlan(startAt: next, delay: delay(from: end), skippedSlots: skipped)
    }
}

/// When the next round starts, as planned at the end of the previous one.
public struct RoundPlan: Sendable, Hashable {
    public let startAt: MonotonicTime
    /// The wait from the end of the previous round; never negative.
    public let delay: Duration
    public let skippedSlots: UInt64
}
