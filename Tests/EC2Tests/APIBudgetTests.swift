import EC2
import Testing
import TestSupport

@Suite("Token buckets, priorities and backoff")
struct APIBudgetTests {
    @Test("a bucket gives its burst at once, then refills at its rate")
    func bucketArithmetic() {
        var bucket = TokenBucket(capacity: 50, refillPerSecond: 5, now: .zero)
        var taken = 0
        while bucket.tryTake(now: .zero) { taken += 1 }
        #expect(taken == 50)
        #expect(bucket.timeUntilToken(now: .zero) > .milliseconds(199))
        #expect(bucket.timeUntilToken(now: .zero) < .milliseconds(201))
        let refilled = bucket.tryTake(now: .milliseconds(200))
        #expect(refilled)
        bucket.refill(now: .seconds(1000))
        #expect(bucket.tokens == 50)
    }

    @Test("100 writes from a full EC2 mutating bucket take (100-50)/5 = 10 s of clock time")
    func hundredWritesTakeTenSeconds() async throws {
        let clock = ManualClock(autoAdvance: true)
        let budget = APIBudget(clock: clock)
        for _ in 0..<100 { try await budget.acquire(.mutating) }
        let elapsed = clock.now()
        #expect(elapsed >= .seconds(10))
        #expect(elapsed < .milliseconds(10_050))
    }

    @Test("categories do not share tokens")
    func categoriesIndependent() async throws {
        let clock = ManualClock()
        let budget = APIBudget(mutating: .init(burst: 1, refillPerSecond: 1), describe: .init(burst: 3, refillPerSecond: 1), clock: clock)
        try await budget.acquire(.mutating)
        for _ in 0..<3 { try await budget.acquire(.describe) }
        #expect(await budget.availableTokens(.mutating) < 1)
        #expect(await budget.availableTokens(.describe) < 1)
        #expect(clock.now() == .zero)
    }

    @Test("failover writes are served before routine ones waiting longer")
    func priorityOrder() async throws {
        let clock = ManualClock()
        let budget = APIBudget(mutating: .init(burst: 1, refillPerSecond: 1), clock: clock)
        try await budget.acquire(.mutating)
        let order = Recorder()
        let routine = Task {
            try await budget.acquire(.mutating, priority: .routine)
            await order.append("routine")
        }
        try await waitFor { await budget.waiting(.mutating) == 1 && clock.sleeperCount == 1 }
        let failover = Task {
            try await budget.acquire(.mutating, priority: .failover)
            await order.append("failover")
        }
        try await waitFor { await budget.waiting(.mutating) == 2 }
        clock.advance(by: .milliseconds(1100))
        try await failover.value
        #expect(await order.entries == ["failover"])
        try await waitFor { clock.sleeperCount == 1 }
        clock.advance(by: .milliseconds(1100))
        try await routine.value
        #expect(await order.entries == ["failover", "routine"])
    }

    @Test("a cancelled waiter leaves the queue with CancellationError")
    func cancellation() async throws {
        let clock = ManualClock()
        let budget = APIBudget(mutating: .init(burst: 1, refillPerSecond: 1), clock: clock)
        try await budget.acquire(.mutating)
        let waiter = Task { try await budget.acquire(.mutating) }
        try await waitFor { await budget.waiting(.mutating) == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await budget.waiting(.mutating) == 0)
        clock.advance(by: .milliseconds(1100))
        // The token nobody took is still there.
        try await waitFor { await budget.availableTokens(.mutating) >= 1 }
    }

    @Test("backoff grows exponentially, is capped, and jitters over the full range")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        #expect(policy.ceiling(forRetry: 1) == .milliseconds(100))
        #expect(policy.ceiling(forRetry: 3) == .milliseconds(400))
        #expect(policy.ceiling(forRetry: 10) == .seconds(1))
        #expect(policy.delay(forRetry: 3, unitRandom: 0) == .zero)
        #expect(policy.delay(forRetry: 3, unitRandom: 0.5) == .milliseconds(200))
        #expect(policy.delay(forRetry: 3, unitRandom: 1) == .milliseconds(400))
    }
}

/// Polls a condition: yields first, then short sleeps up to a generous deadline, so a loaded
/// machine (where the other tasks take long to reach the point polled for) does not fail it.
func waitFor(_ condition: @Sendable () async -> Bool, timeout: Duration = .seconds(30)) async throws {
    for _ in 0..<1_000 {
        if await condition() { return }
        await Task.yield()
    }
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("condition never became true")
    throw CancellationError()
}

actor Recorder {
    private(set) var entries: [String] = []
    func append(_ entry: String) { entries.append(entry) }
}
