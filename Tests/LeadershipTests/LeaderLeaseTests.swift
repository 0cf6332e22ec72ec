import Leadership
import Testing

/// The leadership decision with virtual time: instants are a fixed origin plus offsets, nothing sleeps.
@Suite struct LeaderLeaseTests {
    let origin = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { origin + .milliseconds(Int64(seconds * 1000)) }

    @Test func aNewReplicaIsAFollower() {
        let lease = LeaderLease(safetyMargin: .seconds(1))
        #expect(lease.role(at: at(0)) == .follower)
        #expect(!lease.mayWrite(at: at(0)))
        #expect(!lease.holdsLease)
    }

    @Test func winningLeadsUntilStrictlyBeforeTheLeaseCanExpire() {
        var lease = LeaderLease(safetyMargin: .seconds(1))
        lease.won(ttl: .seconds(5), grantSentAt: at(10))
        #expect(lease.role(at: at(10)) == .leader)
        #expect(lease.mayWrite(at: at(13.999)))
        #expect(!lease.mayWrite(at: at(14)), "the local deadline is TTL minus the margin after the grant was sent")
        #expect(!lease.mayWrite(at: at(15)), "never at or after the earliest expiry on etcd")
        #expect(lease.holdsLease, "the lease is still held until the service gives it up")
    }

    @Test func renewalsExtendFromWhenTheKeepaliveWasSent() {
        var lease = LeaderLease(safetyMargin: .seconds(1))
        lease.won(ttl: .seconds(6), grantSentAt: at(0))
        let renewed = lease.renewed(ttl: .seconds(6), sentAt: at(2))
        #expect(renewed)
        #expect(lease.mayWrite(at: at(6.9)))
        #expect(!lease.mayWrite(at: at(7)))
        // An answer to an older keepalive that arrives late never shortens the deadline.
        let lateAnswer = lease.renewed(ttl: .seconds(6), sentAt: at(1))
        #expect(lateAnswer)
        #expect(lease.mayWrite(at: at(6.9)))
    }

    @Test func aRenewalAfterTheLocalDeadlineIsRefused() {
        var lease = LeaderLease(safetyMargin: .seconds(1))
        lease.won(ttl: .seconds(5), grantSentAt: at(0))
        let atTheDeadline = lease.renewed(ttl: .seconds(5), sentAt: at(4))
        #expect(!atTheDeadline, "sent at the deadline: too late")
        #expect(!lease.mayWrite(at: at(4.1)))
        var fresh = LeaderLease(safetyMargin: .seconds(1))
        fresh.won(ttl: .seconds(5), grantSentAt: at(0))
        let zeroTTL = fresh.renewed(ttl: .zero, sentAt: at(1))
        #expect(!zeroTTL, "a TTL of zero means etcd no longer has the lease")
        #expect(fresh.mayWrite(at: at(3.9)), "and does not change the deadline")
    }

    @Test func aPausedLeaderMayNotWriteWhenItResumes() {
        // Granted, renewed once, then the process is stopped for half a minute.
        var lease = LeaderLease(safetyMargin: LeaderLease.safetyMargin(forTTL: .seconds(5)))
        lease.won(ttl: .seconds(5), grantSentAt: at(0))
        lease.renewed(ttl: .seconds(5), sentAt: at(1.6))
        #expect(lease.role(at: at(30)) == .follower)
        let afterResume = lease.renewed(ttl: .seconds(5), sentAt: at(30))
        #expect(!afterResume, "its first keepalive after resuming cannot revive it")
    }

    @Test func losingStopsWritesAtOnce() {
        var lease = LeaderLease(safetyMargin: .seconds(1))
        lease.won(ttl: .seconds(5), grantSentAt: at(0))
        lease.lost()
        #expect(!lease.mayWrite(at: at(0.5)))
        #expect(!lease.holdsLease)
        let lateAnswer = lease.renewed(ttl: .seconds(5), sentAt: at(0.6))
        #expect(!lateAnswer, "a lost lease is not revived by a late answer")
    }

    @Test(arguments: [2, 3, 5, 10, 60]) func theMarginIsPositiveAndShorterThanTheTTL(seconds: Int) {
        let ttl = Duration.seconds(seconds)
        let margin = LeaderLease.safetyMargin(forTTL: ttl)
        #expect(margin >= .milliseconds(200))
        #expect(margin <= ttl / 2)
        var lease = LeaderLease(safetyMargin: margin)
        lease.won(ttl: ttl, grantSentAt: at(0))
        #expect(!lease.mayWrite(at: origin + ttl - .milliseconds(1) - margin + .milliseconds(1)))
        #expect(lease.mayWrite(at: origin + ttl - margin - .milliseconds(1)))
    }
}
