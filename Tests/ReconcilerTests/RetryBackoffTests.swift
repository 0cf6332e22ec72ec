import Testing
@testable import Reconciler

@Suite struct RetryBackoffTests {
    @Test func doublesFromHalfASecondToThirtySecondsAndResetsOnSuccess() {
        var backoff = RetryBackoff()
        #expect(backoff.pendingDelay == nil)
        let delays = (0..<10).map { _ in backoff.failed() }
        #expect(delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16),
                           .seconds(30), .seconds(30), .seconds(30), .seconds(30)])
        #expect(backoff.failures == 10)
        #expect(backoff.pendingDelay == .seconds(30))
        backoff.succeeded()
        #expect(backoff.failures == 0 && backoff.pendingDelay == nil)
        #expect(backoff.failed() == .milliseconds(500))
    }

    @Test func aVeryLongRunOfFailuresStaysAtTheCap() {
        var backoff = RetryBackoff()
        for _ in 0..<10_000 { _ = backoff.failed() }
        #expect(backoff.failed() == .seconds(30))
    }
}
