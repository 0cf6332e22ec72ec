import Testing
import TestSupport

/// The shrinker the daemon model uses on a failure, on plain lists with checks made to fail on
/// purpose (no daemon involved): it must return a shorter list that still fails.
@Suite struct StepListShrinkerTests {
    /// A deliberately broken "invariant": it fails once a 7 has been seen and a 3 comes after it.
    static func sevenThenThree(_ steps: [Int]) -> Bool {
        guard let seven = steps.firstIndex(of: 7) else { return false }
        return steps[(seven + 1)...].contains(3)
    }

    @Test func aFailureThatNeedsTwoStepsShrinksToThoseTwo() async {
        // 60 steps, where the failure needs one 7 and one later 3 among much noise.
        let steps = (0..<60).map { $0 == 12 ? 7 : $0 == 47 ? 3 : [1, 2, 4, 5, 6, 8, 9][$0 % 7] }
        #expect(Self.sevenThenThree(steps))
        let outcome = await StepListShrinker<Int>(budget: .seconds(60)).shrink(steps) { Self.sevenThenThree($0) }
        #expect(outcome.steps == [7, 3])
        #expect(outcome.minimal)
        #expect(outcome.attempts > 1)
    }

    @Test func theStepsKeepTheirOrderAndEveryCandidateIsShorter() async {
        let steps = Array(0..<40)
        // Fails while 5, 17 and 33 are all there, in order.
        var tried: [[Int]] = []
        let outcome = await StepListShrinker<Int>(budget: .seconds(60)).shrink(steps) { candidate in
            tried.append(candidate)
            return [5, 17, 33].allSatisfy(candidate.contains)
        }
        #expect(outcome.steps == [5, 17, 33])
        #expect(tried.allSatisfy { $0.count < steps.count && $0 == $0.sorted() })
    }

    @Test func aFailureOfOneStepShrinksToIt() async {
        let outcome = await StepListShrinker<String>(budget: .seconds(60)).shrink(["spec", "plan", "kill", "spec"]) { $0.contains("kill") }
        #expect(outcome.steps == ["kill"])
        #expect(outcome.minimal)
    }

    @Test func theBudgetStopsTheSearchWithTheBestListSoFar() async {
        let steps = (0..<64).map { $0 == 40 ? 7 : $0 == 60 ? 3 : 0 }
        let outcome = await StepListShrinker<Int>(budget: .seconds(60), maximumAttempts: 3).shrink(steps) { Self.sevenThenThree($0) }
        #expect(outcome.attempts == 3)
        #expect(!outcome.minimal)
        #expect(Self.sevenThenThree(outcome.steps))
        #expect(outcome.steps.count < steps.count)
    }

    @Test func aSpentTimeBudgetReturnsTheOriginal() async {
        let steps = [7, 0, 3]
        let outcome = await StepListShrinker<Int>(budget: .zero).shrink(steps) { Self.sevenThenThree($0) }
        #expect(outcome.steps == steps)
        #expect(outcome.attempts == 0)
        #expect(!outcome.minimal)
    }

    /// A check that throws (a replay that could not run) ends the shrinking with that error.
    @Test func aCheckThatThrowsEndsTheShrinking() async {
        struct ReplayFailed: Error {}
        await #expect(throws: ReplayFailed.self) {
            _ = try await StepListShrinker<Int>(budget: .seconds(60)).shrink([1, 2, 3]) { _ in throw ReplayFailed() }
        }
    }
}
