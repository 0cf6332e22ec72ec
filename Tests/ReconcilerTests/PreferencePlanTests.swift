import RouteModel
import Testing
@testable import Reconciler

/// Routers in order of preference: the first that can carry traffic gets a new route, a route on
/// a backup stays there (no fail-back) unless `failBackAfter` is set, and then moves back only
/// once a router listed before it has been healthy for the hold time.
@Suite struct PreferencePlanTests {
    let cidr55 = cidr("10.55.0.0/16")
    static let twoTables = ["rtb-a", "rtb-b"]

    /// A snapshot at `now` seconds where each router has the given status; healthy routers have
    /// been healthy since the time given in `healthySince` (seconds), or since 0.
    static func health(_ statuses: [IPAddress: RouterCondition], healthySince: [IPAddress: Double] = [:],
                       now: Double = 1000) -> HealthSnapshot {
        var since: [IPAddress: MonotonicTime] = [:]
        for (router, status) in statuses where status == .healthy { since[router] = .seconds(healthySince[router] ?? 0) }
        return HealthSnapshot(statuses, firstRoundCompleted: true, healthySince: since, time: .seconds(now))
    }

    func preferenceSpec(_ routers: [IPAddress]) -> RouteSpec {
        RouteSpec([cidr55: routers], preferenceOrdered: [cidr55])
    }

    func run(_ routers: [IPAddress], health: HealthSnapshot, on eni: String? = nil,
             failBackAfter: Duration? = nil) -> RoutePlan {
        let routes = eni.map { Fixture.everywhere(Fixture.toENI("10.55.0.0/16", $0), tables: Self.twoTables) } ?? [:]
        return plan(spec: preferenceSpec(routers), health: health, observed: Fixture.vpc(routes: routes),
                    ledger: OwnershipLedger(), policy: ReconcilePolicy(failBackAfter: failBackAfter))
    }

    @Test(arguments: [([Fixture.r1, Fixture.r2], "eni-1"), ([Fixture.r2, Fixture.r1], "eni-2")])
    func aNewRouteGoesToTheFirstRouterInOrder(routers: [IPAddress], eni: String) {
        let result = run(routers, health: Self.health([Fixture.r1: .healthy, Fixture.r2: .healthy]))
        #expect(lines(result) == ["create rtb-a 10.55.0.0/16 >\(eni)", "create rtb-b 10.55.0.0/16 >\(eni)"])
        #expect(result.preferences[cidr55]?.carrier == routers[0])
        #expect(result.preferences[cidr55]?.reason == "on the preferred router \(routers[0])")
    }

    @Test func theSameListWithoutAnOrderIsSpreadByHashAsBefore() {
        // Whichever of the two orders the hash picks, the plain list gives the same answer for both.
        let health = Self.health([Fixture.r1: .healthy, Fixture.r2: .healthy])
        let forward = plan(spec: RouteSpec([cidr55: [Fixture.r1, Fixture.r2]]), health: health, observed: Fixture.vpc(),
                           ledger: OwnershipLedger(), policy: ReconcilePolicy())
        let backward = plan(spec: RouteSpec([cidr55: [Fixture.r2, Fixture.r1]]), health: health, observed: Fixture.vpc(),
                            ledger: OwnershipLedger(), policy: ReconcilePolicy())
        #expect(lines(forward) == lines(backward))
        #expect(forward.preferences.isEmpty)
    }

    @Test(arguments: [RouterCondition.failed, .suspect, .questionable, .unknown])
    func aPreferredRouterThatCannotBeTrustedIsPassedOverForANewRoute(_ status: RouterCondition) {
        let result = run([Fixture.r1, Fixture.r2], health: Self.health([Fixture.r1: status, Fixture.r2: .healthy]))
        #expect(lines(result) == ["create rtb-a 10.55.0.0/16 >eni-2", "create rtb-b 10.55.0.0/16 >eni-2"])
        let word = status == .unknown ? "has not been probed yet" : "is \(status.rawValue)"
        #expect(result.preferences[cidr55]?.reason == "on backup 10.0.2.21 (choice 2 of 2): preferred router 10.0.1.10 \(word)")
    }

    @Test func theSecondBackupIsUsedOnlyWhenTheFirstTwoCannot() {
        let result = run([Fixture.r3, Fixture.r1, Fixture.r2],
                         health: Self.health([Fixture.r3: .failed, Fixture.r1: .failed, Fixture.r2: .healthy]))
        #expect(result.chosenTargets[cidr55]?.networkInterfaceId == "eni-2")
        #expect(result.preferences[cidr55]?.reason
            == "on backup 10.0.2.21 (choice 3 of 3): preferred router 10.0.3.30 is failed, router 10.0.1.10 is failed")
    }

    @Test func aFailedPreferredRouterFailsOverToTheBackup() {
        let result = run([Fixture.r1, Fixture.r2], health: Self.health([Fixture.r1: .failed, Fixture.r2: .healthy]), on: "eni-1")
        #expect(lines(result) == ["replace rtb-a 10.55.0.0/16 eni-1>eni-2 !", "replace rtb-b 10.55.0.0/16 eni-1>eni-2 !"])
    }

    @Test func aRouteOnTheBackupStaysThereWithoutFailBack() {
        let result = run([Fixture.r1, Fixture.r2], health: Self.health([Fixture.r1: .healthy, Fixture.r2: .healthy]), on: "eni-2")
        #expect(lines(result) == ["keep rtb-a 10.55.0.0/16 eni-2", "keep rtb-b 10.55.0.0/16 eni-2"])
        #expect(result.preferences[cidr55] == PreferenceChoice(
            routers: [Fixture.r1, Fixture.r2], carrier: Fixture.r2,
            reason: "held on backup 10.0.2.21 (choice 2 of 2): preferred router 10.0.1.10 is healthy and fail-back is off"))
        #expect(result.nextFailBackCheck == nil)
    }

    @Test func aRouteOnTheBackupWaitsForTheHoldTime() {
        let health = Self.health([Fixture.r1: .healthy, Fixture.r2: .healthy], healthySince: [Fixture.r1: 996], now: 1000)
        let result = run([Fixture.r1, Fixture.r2], health: health, on: "eni-2", failBackAfter: .seconds(30))
        #expect(lines(result) == ["keep rtb-a 10.55.0.0/16 eni-2", "keep rtb-b 10.55.0.0/16 eni-2"])
        #expect(result.preferences[cidr55]?.reason
            == "held on backup 10.0.2.21 (choice 2 of 2): preferred router 10.0.1.10 healthy for 4 s of 30 s")
        #expect(result.nextFailBackCheck == .seconds(26))
    }

    @Test func aRouteFailsBackOnceThePreferredRouterHasBeenHealthyForTheHoldTime() {
        let health = Self.health([Fixture.r1: .healthy, Fixture.r2: .healthy], healthySince: [Fixture.r1: 970], now: 1000)
        let result = run([Fixture.r1, Fixture.r2], health: health, on: "eni-2", failBackAfter: .seconds(30))
        #expect(lines(result) == ["replace rtb-a 10.55.0.0/16 eni-2>eni-1", "replace rtb-b 10.55.0.0/16 eni-2>eni-1"],
                "a fail-back is not a failover")
        #expect(result.writes.allSatisfy { $0.reasonCode == .failBack && !$0.followsHealthChange })
        #expect(result.preferences[cidr55]?.reason
            == "fail-back from 10.0.2.21 to 10.0.1.10 (choice 1 of 2): healthy for 30 s, fail-back after 30 s")
        #expect(result.nextFailBackCheck == nil)
    }

    @Test(arguments: [RouterCondition.suspect, .questionable, .unknown, .failed])
    func aPreferredRouterThatIsNotHealthyNowNeverGetsTheRouteBack(_ status: RouterCondition) {
        let health = Self.health([Fixture.r1: status, Fixture.r2: .healthy], now: 1000)
        let result = run([Fixture.r1, Fixture.r2], health: health, on: "eni-2", failBackAfter: .seconds(30))
        #expect(lines(result) == ["keep rtb-a 10.55.0.0/16 eni-2", "keep rtb-b 10.55.0.0/16 eni-2"])
        #expect(result.nextFailBackCheck == nil)
    }

    @Test func failBackGoesToTheFirstRouterAheadThatHasBeenHealthyLongEnough() {
        // On the third choice; the first is healthy but only for 5 s, the second for 40 s.
        let health = Self.health([Fixture.r3: .healthy, Fixture.r1: .healthy, Fixture.r2: .healthy],
                                 healthySince: [Fixture.r3: 995, Fixture.r1: 960], now: 1000)
        let routes = Fixture.everywhere(Fixture.toENI("10.55.0.0/16", "eni-2"), tables: ["rtb-main", "rtb-a", "rtb-b"])
        let result = plan(spec: preferenceSpec([Fixture.r3, Fixture.r1, Fixture.r2]), health: health,
                          observed: Fixture.vpc(routes: routes), ledger: OwnershipLedger(),
                          policy: ReconcilePolicy(failBackAfter: .seconds(30)))
        #expect(result.chosenTargets[cidr55]?.networkInterfaceId == "eni-1")
        #expect(result.writes.count == 3 && result.writes.allSatisfy { $0.reasonCode == .failBack })
    }

    @Test func aQuestionableBackupHandsTheRouteToTheHealthyPreferredRouterWithoutWaiting() {
        // Not a fail-back: a questionable router gives its routes to a better-ranked one at once.
        let health = Self.health([Fixture.r1: .healthy, Fixture.r2: .questionable], healthySince: [Fixture.r1: 999], now: 1000)
        let result = run([Fixture.r1, Fixture.r2], health: health, on: "eni-2", failBackAfter: .seconds(30))
        #expect(lines(result) == ["replace rtb-a 10.55.0.0/16 eni-2>eni-1", "replace rtb-b 10.55.0.0/16 eni-2>eni-1"])
        #expect(result.writes.allSatisfy { $0.reasonCode == .routerQuestionable })
    }

    /// The preferred router flaps every second for a minute (a failed round, then a healthy one,
    /// and so on), then stays healthy. Planning every second and applying each plan, the route
    /// leaves it at the first failure, never returns while it flaps, and returns exactly once,
    /// after it has been healthy for the hold time.
    @Test func aFlappingPreferredRouterGetsTheRouteBackAtMostOnce() {
        let hold: Double = 10
        var vpc = Fixture.vpc(routes: Fixture.everywhere(Fixture.toENI("10.55.0.0/16", "eni-1"), tables: Self.twoTables))
        var preferredHealthySince: Double? = 0
        var moves: [(second: Int, to: String)] = []
        for second in 1...120 {
            let flapping = second <= 60
            let healthyNow = !flapping || second % 2 == 0
            if !healthyNow {
                preferredHealthySince = nil
            } else if preferredHealthySince == nil {
                preferredHealthySince = Double(second)
            }
            let health = Self.health([Fixture.r1: healthyNow ? .healthy : .failed, Fixture.r2: .healthy],
                                     healthySince: preferredHealthySince.map { [Fixture.r1: $0] } ?? [:], now: Double(second))
            let result = plan(spec: preferenceSpec([Fixture.r1, Fixture.r2]), health: health, observed: vpc,
                              ledger: OwnershipLedger(), policy: ReconcilePolicy(failBackAfter: .seconds(hold)))
            if let write = result.writes.first, let eni = write.newTarget?.networkInterfaceId { moves.append((second, eni)) }
            vpc = applying(result, to: vpc)
        }
        #expect(moves.map(\.to) == ["eni-2", "eni-1"], "one failover, one fail-back: \(moves)")
        #expect(moves.first?.second == 1)
        // Healthy without a break from second 60 on; back once it has been so for the hold time.
        #expect(moves.last?.second == 60 + Int(hold))
    }
}
