/// Which of EC2's throttling buckets an action draws from.
public enum APICategory: String, Sendable, CaseIterable, Hashable {
    case mutating
    case describe

    public static func of(action: String) -> APICategory {
        action.hasPrefix("Describe") || action.hasPrefix("Get") || action.hasPrefix("List") ? .describe : .mutating
    }
}

/// Who waits first when tokens are short: failover writes beat routine reads.
public enum APIPriority: Int, Sendable, Comparable {
    case routine = 0
    case failover = 1

    public static func < (lhs: APIPriority, rhs: APIPriority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Client-side token buckets, one per category, so the client stays under EC2's own limits.
public actor APIBudget {
    public struct Limits: Sendable, Equatable {
        public var burst: Double
        public var refillPerSecond: Double
        public init(burst: Double, refillPerSecond: Double) {
            self.burst = burst
            self.refillPerSecond = refillPerSecond
        }

        /// EC2's published defaults.
        public static let ec2Mutating = Limits(burst: 50, refillPerSecond: 5)
        public static let ec2Describe = Limits(burst: 100, refillPerSecond: 20)
    }

    private struct Waiter {
        let priority: APIPriority
        let sequence: UInt64
        let continuation: CheckedContinuation<Void, Error>
    }

    private let clock: any BudgetClock
    private var buckets: [APICategory: TokenBucket]
    private var queues: [APICategory: [Waiter]] = [:]
    private var pumping: Set<APICategory> = []
    private var sequence: UInt64 = 0

    public init(mutating: Limits = .ec2Mutating, describe: Limits = .ec2Describe, clock: any BudgetClock = SystemBudgetClock()) {
        self.clock = clock
        let now = clock.now()
        buckets = [
            .mutating: TokenBucket(capacity: mutating.burst, refillPerSecond: mutating.refillPerSecond, now: now),
            .describe: TokenBucket(capacity: describe.burst, refillPerSecond: describe.refillPerSecond, now: now),
        ]
    }

    /// Waits for a token. Higher priority waiters are served first, then first come first served.
    /// A cancelled waiter leaves the queue and throws `CancellationError`.
    public func acquire(_ category: APICategory, priority: APIPriority = .routine) async throws {
        try Task.checkCancellation()
        if queues[category, default: []].isEmpty, buckets[category]!.tryTake(now: clock.now()) {
            return
        }
        sequence += 1
        let ticket = sequence
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                queues[category, default: []].append(Waiter(priority: priority, sequence: ticket, continuation: continuation))
                if !pumping.contains(category) {
                    pumping.insert(category)
                    Task { await self.pump(category) }
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(category, ticket: ticket) }
        }
    }

    private func cancelWaiter(_ category: APICategory, ticket: UInt64) {
        guard let index = queues[category]?.firstIndex(where: { $0.sequence == ticket }) else { return }
        queues[category]!.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Number of callers waiting for a token, for tests and metrics.
    public func waiting(_ category: APICategory) -> Int { queues[category]?.count ?? 0 }

    /// Tokens currently available, after refilling to now.
    public func availableTokens(_ category: APICategory) -> Double {
        buckets[category]!.refill(now: clock.now())
        return buckets[category]!.tokens
    }

    private func pump(_ category: APICategory) async {
        defer { pumping.remove(category) }
        while !(queues[category]?.isEmpty ?? true) {
            if buckets[category]!.tryTake(now: clock.now()) {
                let queue = queues[category]!
                let next = queue.indices.max { lhs, rhs in
                    queue[lhs].priority != queue[rhs].priority
                        ? queue[lhs].priority < queue[rhs].priority
                        : queue[lhs].sequence > queue[rhs].sequence
                }!
                let waiter = queues[category]!.remove(at: next)
                waiter.continuation.resume()
                continue
            }
            let wait = buckets[category]!.timeUntilToken(now: clock.now())
            // A cancelled sleep just means look again; waiters are never dropped.
            try? await clock.sleep(for: wait)
        }
    }
}
