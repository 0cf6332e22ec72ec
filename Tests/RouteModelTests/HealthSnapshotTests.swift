import RouteModel
import Testing

@Suite struct HealthSnapshotTests {
    let a = IPAddress("10.0.0.1")!
    let b = IPAddress("10.0.0.2")!
    let c = IPAddress("10.0.0.3")!
    let d = IPAddress("10.0.0.4")!
    let e = IPAddress("10.0.0.5")!

    @Test func theSetsPartitionTheTrackedRoutersByCondition() {
        let snapshot = HealthSnapshot([a: .healthy, b: .suspect, c: .questionable, d: .failed, e: .unknown])
        #expect(snapshot.healthy == [a])
        #expect(snapshot.suspect == [b])
        #expect(snapshot.questionable == [c])
        #expect(snapshot.failed == [d])
        #expect(snapshot.unknown == [e])
        #expect(snapshot.eligible == [a, b, c, e])
        for condition in RouterCondition.allCases {
            #expect(snapshot.routers(in: condition).allSatisfy { snapshot.condition(of: $0) == condition })
        }
    }

    @Test func aRouterMissingFromTheSnapshotIsUnknownButNotTracked() {
        let snapshot = HealthSnapshot([a: .failed])
        #expect(snapshot.condition(of: b) == .unknown)
        #expect(snapshot.unknown.isEmpty)
        #expect(!snapshot.eligible.contains(b))
    }

    /// The raw values are what /status, plan notes and the metrics labels print.
    @Test func theWordsAreTheOnesOperatorsSee() {
        #expect(RouterCondition.allCases.map(\.rawValue) == ["unknown", "healthy", "suspect", "questionable", "failed"])
        #expect(HealthVerdict.allCases.map(\.description) == ["unknown", "healthy", "questionable", "failed"])
        #expect("\(RouterCondition.suspect)" == "suspect")
    }
}
