import Testing
import TestSupport

/// The leader test's checker must be able to fail: these are the histories it has to catch.
@Suite struct LeadershipHistoryTests {
    typealias Replica = LeadershipHistory.Replica

    @Test func leadershipWindowsComeFromTheLog() {
        let log = """
            2026-12-05T10:00:01.000Z NOTICE vpcrouter: leadership acquired: this replica writes routes
            2026-12-05T10:00:05.500Z WARNING vpcrouter: leadership lost: no route is written until it is won again
            2026-12-05T10:00:09.000Z NOTICE vpcrouter: leadership acquired: this replica writes routes
            """
        let windows = LeadershipHistory.windows(inLog: log, openEnd: 1_796_464_812)
        #expect(windows.map(\.start) == [1_796_464_801, 1_796_464_809])
        #expect(windows.map(\.end) == [1_796_464_805.5, 1_796_464_812])
    }

    @Test func handOversWithoutOverlappingWritesHold() {
        let history = LeadershipHistory(replicas: [
            Replica(name: "a", windows: [.init(start: 0, end: 10)], writes: [1, 9]),
            // b's window overlaps a's (a was frozen, say), but only b wrote in the overlap.
            Replica(name: "b", windows: [.init(start: 8.5, end: 20)], writes: [12]),
        ])
        #expect(history.violations().isEmpty)
    }

    @Test func aWriteOutsideTheWritersLeadershipIsCaught() {
        let history = LeadershipHistory(replicas: [Replica(name: "a", windows: [.init(start: 0, end: 10)], writes: [11])])
        #expect(history.violations().count == 1)
    }

    @Test func twoLeadersWritingAtOnceAreCaught() {
        let history = LeadershipHistory(replicas: [
            Replica(name: "a", windows: [.init(start: 0, end: 10)], writes: [9]),
            Replica(name: "b", windows: [.init(start: 8, end: 20)], writes: [9.5]),
        ])
        #expect(history.violations() == ["a and b both wrote while both led, in [8.000, 10.000]"])
    }
}
