/// Finds a shorter list of steps that still fails, delta-debugging style: it tries dropping chunks
/// of the list (halves first, then ever smaller chunks down to single steps), keeps any shorter
/// list that still fails, and stops when no single step can go or the budget is spent.
///
/// Generic over the step type and the check, so it knows nothing of the daemon: a model test
/// passes a check that replays a candidate list from a fresh fixture.
public struct StepListShrinker<Step: Sendable>: Sendable {
    /// What the shrinking found.
    public struct Outcome: Sendable {
        /// The shortest failing list found (the original if nothing shorter failed).
        public let steps: [Step]
        /// Candidate lists tried (each one a replay).
        public let attempts: Int
        /// True when no single step of `steps` can be dropped; false when the budget ran out first.
        public let minimal: Bool
    }

    /// Time for all the replays together; a replay in progress when it runs out finishes.
    public let budget: Duration
    /// At most this many replays, whatever the time.
    public let maximumAttempts: Int

    public init(budget: Duration, maximumAttempts: Int = .max) {
        self.budget = budget
        self.maximumAttempts = maximumAttempts
    }

    /// Shrinks `steps`, a list for which `fails` is true. `fails` is called only on lists
    /// that are shorter than the best one so far and keep the steps' order.
    public func shrink(_ steps: [Step], fails: ([Step]) async throws -> Bool) async rethrows -> Outcome {
        let deadline = ContinuousClock.now + budget
        var current = steps
        var attempts = 0
        // The list is cut into `chunks` pieces; each piece is tried dropped in turn.
        var chunks = 2
        func budgetLeft() -> Bool { attempts < maximumAttempts && ContinuousClock.now < deadline }
        while current.count > 1 {
            let size = (current.count + chunks - 1) / chunks
            var shorter: [Step]?
            var start = 0
            while start < current.count {
                guard budgetLeft() else { return Outcome(steps: current, attempts: attempts, minimal: false) }
                let candidate = Array(current[..<start] + current[min(start + size, current.count)...])
                attempts += 1
                if try await fails(candidate) {
                    shorter = candidate
                    break
                }
                start += size
            }
            if let shorter {
                current = shorter
                // Keep the chunk size about the same for the shorter list.
                chunks = max(chunks - 1, 2)
            } else if size == 1 {
                break
            } else {
                chunks = min(chunks * 2, current.count)
            }
        }
        // A single step left: it may be that nothing at all is needed, which is no failing list.
        return Outcome(steps: current, attempts: attempts, minimal: true)
    }
}
