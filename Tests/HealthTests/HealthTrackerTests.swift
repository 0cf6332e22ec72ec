import Health
import RouteModel
import Testing

/// Drives a tracker round by round with a fake clock: round n ends at n × interval.
private struct RoundDriver {
    var tracker: HealthTracker
    var round = 0
    let interval: Duration

    init(policy: HealthPolicy, routers: [String]) {
        tracker = HealthTracker(policy: policy)
        interval = policy.interval
        tracker.updateTargets(routers.map(ip), at: .seconds(0))
    }

    var now: MonotonicTime { MonotonicTime(nanoseconds: 0) + interval * round }

    @discardableResult
    mutating func round(_ verdicts: [String: HealthVerdict]) -> HealthRoundOutcome {
        round += 1
        let results = Dictionary(uniqueKeysWithValues: verdicts.map { (ip($0.key), ProbeResult($0.value)) })
        return tracker.recordRound(results, at: now)
    }

    func condition(_ router: String) -> RouterCondition? {
        tracker.status(of: ip(router))?.condition
    }
}

private func ip(_ text: String) -> IPAddress {
    IPAddress(text)!
}

private let a = "10.0.0.1"
private let b = "10.0.0.2"

@Suite("Health policy")
struct HealthTrackerTests {
    @Test("a new router is unknown and eligible until its first verdict")
    func newRouterIsUnknown() throws {
        let driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1)), routers: [a])
        #expect(driver.condition(a) == .unknown)
        #expect(driver.tracker.snapshot.eligible == [ip(a)])
        #expect(driver.tracker.failed.isEmpty)
    }

    @Test("fall: failed after exactly `fall` consecutive failed rounds, suspect before", arguments: [1, 2, 3, 5])
    func fallHoldsExactly(fall: Int) throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), fall: fall), routers: [a])
        driver.round([a: .healthy])
        for failedRounds in 1...fall {
            let outcome = driver.round([a: .failed])
            if failedRounds < fall {
                #expect(driver.condition(a) == .suspect, "after \(failedRounds) of \(fall)")
                #expect(!outcome.snapshot.failed.contains(ip(a)))
                #expect(!outcome.snapshot.questionable.contains(ip(a)))
                #expect(!outcome.changed, "a suspect router keeps its routes: nothing to reconcile")
            } else {
                #expect(driver.condition(a) == .failed)
                #expect(outcome.changed)
                #expect(outcome.transitions.map(\.to) == [.failed])
            }
        }
        #expect(driver.tracker.status(of: ip(a))?.consecutiveFailedRounds == fall)
    }

    @Test("fall: a healthy round in between resets the count")
    func fallNeedsConsecutiveRounds() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), fall: 3), routers: [a])
        driver.round([a: .failed])
        driver.round([a: .failed])
        driver.round([a: .healthy])
        #expect(driver.condition(a) == .healthy)
        driver.round([a: .failed])
        driver.round([a: .failed])
        #expect(driver.condition(a) == .suspect)
        driver.round([a: .failed])
        #expect(driver.condition(a) == .failed)
    }

    @Test("fall: random single losses never make a router failed or questionable, and need no reconcile")
    func lossyLinkStaysSuspectAtMost() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .milliseconds(200), fall: 3), routers: [a, b])
        driver.round([a: .healthy, b: .healthy])
        // One lost probe in every other round on a, one in three on b: never three in a row.
        for round in 0..<300 {
            let outcome = driver.round([a: round.isMultiple(of: 2) ? .failed : .healthy,
                                        b: round.isMultiple(of: 3) ? .failed : .healthy])
            #expect(!outcome.changed, "round \(round): \(outcome.transitions)")
            #expect(outcome.snapshot.failed.isEmpty && outcome.snapshot.questionable.isEmpty)
        }
        driver.round([a: .failed, b: .healthy])
        #expect(driver.tracker.snapshot.suspect == [ip(a)])
    }

    @Test("a failed round does not turn a plugin's questionable router into a merely suspect one")
    func questionableStaysQuestionableWhileFailing() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), fall: 3), routers: [a])
        driver.round([a: .healthy])
        driver.round([a: .questionable])
        driver.round([a: .failed])
        #expect(driver.condition(a) == .questionable)
        driver.round([a: .failed])
        driver.round([a: .failed])
        #expect(driver.condition(a) == .failed)
    }

    @Test("a router remembers whether it was ever judged healthy")
    func wasHealthyIsRemembered() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), fall: 3), routers: [a, b])
        driver.round([a: .healthy, b: .failed])
        driver.round([a: .failed, b: .questionable])
        #expect(driver.tracker.status(of: ip(a))?.wasHealthy == true)
        #expect(driver.tracker.status(of: ip(b))?.wasHealthy == false)
        #expect(driver.condition(a) == .suspect)
    }

    @Test("rise and hold-down: eligible again only when both hold, exactly then")
    func riseAndHoldDownHoldExactly() throws {
        // Interval 1 s, hold-down 5 s, rise 2. The router fails in round 1 only.
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), rise: 2, holdDown: .seconds(5)), routers: [a])
        driver.round([a: .failed]) // round 1 at t=1: failed
        #expect(driver.condition(a) == .failed)
        // Healthy from round 2 on: the rise is met at round 3, the hold-down only at t = 1 + 5 = 6.
        for round in 2...5 {
            driver.round([a: .healthy])
            #expect(driver.condition(a) == .failed, "round \(round) at t=\(round) is inside the hold-down")
        }
        let outcome = driver.round([a: .healthy]) // round 6 at t=6
        #expect(driver.condition(a) == .healthy)
        #expect(outcome.changed)
        #expect(outcome.transitions == [RouterTransition(router: ip(a), from: .failed, to: .healthy)])
        #expect(driver.tracker.status(of: ip(a))?.since == .seconds(6))
    }

    @Test("rise: after the hold-down, exactly `rise` healthy rounds are needed")
    func riseAfterHoldDown() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), rise: 3, holdDown: .seconds(2)), routers: [a])
        driver.round([a: .failed]) // t=1
        for _ in 0..<5 { driver.round([a: .unknown]) } // t=2...6: unknown changes nothing
        #expect(driver.condition(a) == .failed)
        driver.round([a: .healthy])
        driver.round([a: .healthy])
        #expect(driver.condition(a) == .failed)
        driver.round([a: .healthy])
        #expect(driver.condition(a) == .healthy)
    }

    @Test("the default hold-down is ten intervals")
    func defaultHoldDown() throws {
        let policy = try HealthPolicy(interval: .milliseconds(1500))
        #expect(policy.holdDown == .seconds(15))
        #expect(policy.fall == 1)
        #expect(policy.rise == 2)
    }

    @Test("a questionable round breaks the rise of a failed router")
    func questionableDoesNotRise() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), rise: 2, holdDown: .zero), routers: [a])
        driver.round([a: .failed])
        driver.round([a: .healthy])
        driver.round([a: .questionable])
        #expect(driver.condition(a) == .failed)
        driver.round([a: .healthy])
        driver.round([a: .healthy])
        #expect(driver.condition(a) == .healthy)
    }

    @Test("a plugin's questionable verdict makes a working router questionable")
    func questionableFromPlugin() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1)), routers: [a, b])
        driver.round([a: .healthy, b: .healthy])
        let outcome = driver.round([a: .questionable, b: .healthy])
        #expect(outcome.changed)
        #expect(outcome.snapshot.questionable == [ip(a)])
        #expect(outcome.snapshot.healthy == [ip(b)])
        #expect(outcome.snapshot.eligible == [ip(a), ip(b)])
    }

    @Test("unknown keeps the previous state and the counters")
    func unknownKeepsState() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), fall: 2), routers: [a])
        driver.round([a: .failed])
        let before = driver.tracker.status(of: ip(a))
        let outcome = driver.round([a: .unknown])
        #expect(!outcome.changed)
        #expect(driver.tracker.status(of: ip(a))?.consecutiveFailedRounds == before?.consecutiveFailedRounds)
        driver.round([:]) // no verdict at all counts as unknown
        driver.round([a: .failed])
        #expect(driver.condition(a) == .failed)
    }

    @Test("a router flapping every round flips at most once", arguments: [1, 2])
    func flappingIsDamped(fall: Int) throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), fall: fall, rise: 2, holdDown: .seconds(3)), routers: [a])
        driver.round([a: .healthy])
        var flipsToFailed = 0
        var flipsToHealthy = 0
        for round in 0..<100 {
            let outcome = driver.round([a: round.isMultiple(of: 2) ? .failed : .healthy])
            flipsToFailed += outcome.transitions.filter { $0.to == .failed }.count
            flipsToHealthy += outcome.transitions.filter { $0.to == .healthy && $0.from == .failed }.count
        }
        // fall 1: failed once and never eligible again (rise 2 never happens).
        // fall 2: never two failures in a row, so never failed; it only wavers to suspect.
        #expect(flipsToFailed == (fall == 1 ? 1 : 0))
        #expect(flipsToHealthy == 0)
        #expect(driver.condition(a) == (fall == 1 ? .failed : .healthy))
    }

    @Test("healthy-since: a stretch of healthy rounds counts from its first; any other round ends it", arguments: [
        HealthVerdict.failed, .questionable,
    ])
    func healthySinceRestartsAfterABreak(breaking: HealthVerdict) throws {
        // fall 2: one failed round makes the router suspect, which breaks the stretch as well.
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1), fall: 2, rise: 1, holdDown: .zero), routers: [a, b])
        driver.round([a: .healthy, b: .healthy])
        driver.round([a: .healthy, b: .unknown])
        #expect(driver.tracker.healthySince == [ip(a): .seconds(1), ip(b): .seconds(1)], "an unknown round changes nothing")
        driver.round([a: breaking, b: .healthy])
        #expect(driver.tracker.healthySince == [ip(b): .seconds(1)])
        driver.round([a: .healthy, b: .healthy])
        #expect(driver.tracker.healthySince == [ip(a): .seconds(4), ip(b): .seconds(1)])
        var snapshot = driver.tracker.snapshot
        #expect(snapshot.healthySince == driver.tracker.healthySince, "the planner gets it in the snapshot")
        snapshot.time = .seconds(10)
        #expect(snapshot.healthyDuration(of: ip(a)) == .seconds(6) && snapshot.healthyDuration(of: ip(b)) == .seconds(9))
    }

    @Test("target list: new routers are probed next round, removed ones lose their state")
    func targetListChanges() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(1)), routers: [a])
        let generation = driver.tracker.targetGeneration
        driver.round([a: .failed])
        #expect(driver.tracker.failed == [ip(a)])

        let added = driver.tracker.updateTargets([ip(a), ip(b)], at: driver.now)
        #expect(driver.tracker.probeTargets == [ip(a), ip(b)])
        #expect(driver.tracker.targetGeneration == generation + 1)
        #expect(!added.changed) // b is unknown, nothing judged changed
        #expect(driver.condition(b) == .unknown)

        let removed = driver.tracker.updateTargets([ip(b)], at: driver.now)
        #expect(removed.changed) // a failed router left the failed set
        #expect(driver.tracker.failed.isEmpty)
        #expect(driver.tracker.status(of: ip(a)) == nil)

        // Verdicts for a router removed mid-round are ignored; it returns fresh.
        driver.round([a: .failed, b: .healthy])
        #expect(driver.tracker.status(of: ip(a)) == nil)
        driver.tracker.updateTargets([ip(a), ip(b)], at: driver.now)
        #expect(driver.condition(a) == .unknown)
        #expect(driver.tracker.status(of: ip(a))?.consecutiveFailedRounds == 0)

        let same = driver.tracker.updateTargets([ip(b), ip(a)], at: driver.now)
        #expect(!same.changed)
        #expect(driver.tracker.targetGeneration == generation + 3)
    }

    @Test("the snapshot the planner plans with: conditions, never-healthy routers, the first round")
    func plannerSnapshot() throws {
        var driver = RoundDriver(policy: try HealthPolicy(interval: .seconds(2), fall: 2), routers: [a, b])
        #expect(!driver.tracker.snapshot.firstRoundCompleted)
        #expect(driver.tracker.snapshot.conditions == [ip(a): .unknown, ip(b): .unknown])

        driver.round([a: .healthy, b: .failed])
        var snapshot = driver.tracker.snapshot
        #expect(snapshot.firstRoundCompleted)
        #expect(snapshot.conditions == [ip(a): .healthy, ip(b): .suspect])
        #expect(snapshot.neverHealthy == [ip(b)])

        // A new router waits for its verdict as unknown; the first round stays completed.
        driver.tracker.updateTargets([ip(a), ip(b), ip("10.0.0.3")], at: driver.now)
        snapshot = driver.tracker.snapshot
        #expect(snapshot.firstRoundCompleted)
        #expect(snapshot.condition(of: ip("10.0.0.3")) == .unknown)
        #expect(snapshot.neverHealthy == [ip(b), ip("10.0.0.3")])
    }

    @Test("a round over no targets completes the first round")
    func emptyRound() throws {
        var tracker = HealthTracker(policy: try HealthPolicy(interval: .seconds(2)))
        let outcome = tracker.recordRound([:], at: .seconds(2))
        #expect(!outcome.changed)
        #expect(outcome.snapshot.firstRoundCompleted)
        #expect(outcome.snapshot.conditions.isEmpty)
    }

    @Test("status keeps counts, last verdict and the last answered check's RTT")
    func statusDetails() throws {
        var tracker = HealthTracker(policy: try HealthPolicy(interval: .seconds(2)))
        tracker.updateTargets([ip(a)], at: .seconds(0))
        tracker.recordRound([ip(a): ProbeResult(.healthy, roundTripTime: .microseconds(250))], at: .seconds(2))
        tracker.recordRound([ip(a): ProbeResult(.healthy)], at: .seconds(4))
        let status = try #require(tracker.status(of: ip(a)))
        #expect(status.condition == .healthy)
        #expect(status.since == .seconds(2))
        #expect(status.consecutiveHealthyRounds == 2)
        #expect(status.lastVerdict == .healthy)
        #expect(status.lastVerdictAt == .seconds(4))
        #expect(status.lastRoundTripTime == .microseconds(250))
        // A round with no opinion keeps it; a failed check has no round trip to show.
        tracker.recordRound([ip(a): ProbeResult(.unknown)], at: .seconds(6))
        #expect(tracker.status(of: ip(a))?.lastRoundTripTime == .microseconds(250))
        tracker.recordRound([ip(a): ProbeResult(.failed)], at: .seconds(8))
        #expect(tracker.status(of: ip(a))?.lastRoundTripTime == nil)
    }

    @Test("nonsense policies are refused")
    func invalidPolicies() {
        #expect(throws: HealthPolicyError.self) { try HealthPolicy(interval: .zero) }
        #expect(throws: HealthPolicyError.self) { try HealthPolicy(interval: .seconds(1), fall: 0) }
        #expect(throws: HealthPolicyError.self) { try HealthPolicy(interval: .seconds(1), rise: 0) }
        #expect(throws: HealthPolicyError.self) { try HealthPolicy(interval: .seconds(1), holdDown: .seconds(-1)) }
    }
}
