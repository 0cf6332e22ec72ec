import EtcdClient
import FoundationEssentials
import Leadership
import Logging
import Runtime
import ServiceLifecycle
import Synchronization

/// Campaigns for the leader key through an etcd lease and keeps it alive. Only while
/// `mayWrite()` is true does the reconciler write routes; followers still observe, probe and
/// plan, so a replica that takes over writes in its very next pass (which winning triggers).
///
/// Following: read the key every `pollInterval`; when nobody holds it, grant a lease and try a
/// create-if-absent transaction. Leading: renew the lease every TTL/3, retrying failures every
/// `pollInterval`; leadership ends at the local deadline kept by `LeaderLease`, strictly before
/// etcd can expire the lease, so a replica cut off from etcd (or paused) stops writing before
/// another can start. On a clean stop the lease is revoked so another replica takes over at once.
final class LeaderElectionService: Service, Sendable {
    struct Settings: Sendable {
        var key: String
        var identity: String
        var ttl: Duration
        var pollInterval: Duration = .milliseconds(250)
    }

    let client: EtcdClient
    let settings: Settings
    let trigger: ReconcileTrigger
    let logger: Logger
    private let lease: Mutex<LeaderLease>
    private let holder = Mutex<String?>(nil)

    init(client: EtcdClient, settings: Settings, trigger: ReconcileTrigger, logger: Logger) {
        self.client = client
        self.settings = settings
        self.trigger = trigger
        self.logger = logger
        lease = Mutex(LeaderLease(safetyMargin: LeaderLease.safetyMargin(forTTL: settings.ttl)))
    }

    /// Whether a route write may start now.
    func mayWrite() -> Bool {
        lease.withLock { $0.mayWrite(at: .now) }
    }

    var role: LeaderLease.Role { lease.withLock { $0.role(at: .now) } }

    /// The identity in the leader key as last seen (this replica's own when it leads).
    var currentHolder: String? { holder.withLock { $0 } }

    func run() async throws {
        logger.info("leader election: campaigning", metadata: [
            "leader.key": "\(settings.key)", "leader.id": "\(settings.identity)", "leader.ttl": "\(settings.ttl)",
            "leader.endpoints": "\(client.endpoints.map(\.absoluteString).joined(separator: ","))",
        ])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard let won = await campaignUntilWon() else { break }
            await lead(won)
        }
    }

    /// Returns the lease once this replica holds the key, or nil when stopping.
    private func campaignUntilWon() async -> EtcdLease? {
        var lastProblem: String?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let current = try await client.get(settings.key).keyValue?.text
                if current == nil {
                    let sentAt = ContinuousClock.now
                    let granted = try await client.grantLease(ttl: settings.ttl)
                    switch try await client.createIfAbsent(settings.key, value: Array(settings.identity.utf8), lease: granted) {
                    case .created:
                        lease.withLock { $0.won(ttl: granted.ttl, grantSentAt: sentAt) }
                        holder.withLock { $0 = settings.identity }
                        logger.notice("leadership acquired: this replica writes routes", metadata: [
                            "leader.key": "\(settings.key)", "leader.id": "\(settings.identity)", "leader.lease": "\(granted.id)",
                            "leader.ttl": "\(granted.ttl)",
                        ])
                        trigger.fire(.leadership)
                        return granted
                    case .exists(let other):
                        try? await client.revoke(granted)
                        noteHolder(other?.text ?? "(unknown)")
                    }
                } else {
                    noteHolder(current)
                }
                if lastProblem != nil { logger.notice("leader election: etcd reachable again") }
                lastProblem = nil
            } catch {
                if lastProblem == nil {
                    logger.warning("leader election: etcd unreachable; following, no route is written", metadata: ["error": "\(error)"])
                }
                lastProblem = error.description
            }
            if !(await pause(settings.pollInterval)) { return nil }
        }
        return nil
    }

    /// Keeps the lease alive until it is lost or the local deadline passes, or the service stops.
    private func lead(_ granted: EtcdLease) async {
        let renewEvery = granted.ttl / 3
        var nextRenewal = ContinuousClock.now + renewEvery
        var reason = "stopping"
        renewal: while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let deadline = lease.withLock { $0.writableUntil } ?? .now
            let wake = min(nextRenewal, deadline)
            if wake > .now, !(await pause(until: wake)) { break }
            if ContinuousClock.now >= deadline {
                reason = "the lease could not be renewed before the local deadline"
                break
            }
            let sentAt = ContinuousClock.now
            do {
                let ttl = try await client.keepAlive(granted)
                guard ttl > .zero else {
                    reason = "etcd no longer has the lease"
                    break renewal
                }
                guard lease.withLock({ $0.renewed(ttl: ttl, sentAt: sentAt) }) else {
                    reason = "the renewal came after the local deadline"
                    break renewal
                }
                nextRenewal = sentAt + renewEvery
            } catch {
                logger.warning("leader election: lease renewal failed; retrying until the local deadline", metadata: ["error": "\(error)"])
                nextRenewal = ContinuousClock.now + settings.pollInterval
            }
        }
        lease.withLock { $0.lost() }
        holder.withLock { $0 = nil }
        if Task.isShuttingDownGracefully || Task.isCancelled {
            // Hand over at once rather than after the TTL (bounded; the lease expires anyway).
            try? await client.revoke(granted)
            logger.notice("leadership released", metadata: ["leader.key": "\(settings.key)"])
        } else {
            logger.warning("leadership lost: no route is written until it is won again", metadata: ["reason": "\(reason)"])
            try? await client.revoke(granted)
        }
    }

    private func noteHolder(_ current: String?) {
        let changed = holder.withLock { value -> Bool in
            defer { value = current }
            return value != current
        }
        if changed, let current {
            logger.info("following the leader", metadata: ["leader.holder": "\(current)", "leader.key": "\(settings.key)"])
        }
    }

    /// Sleeps; false when the service is asked to stop.
    private func pause(_ duration: Duration) async -> Bool {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
            return true
        } catch {
            return false
        }
    }

    private func pause(until instant: ContinuousClock.Instant) async -> Bool {
        await pause(instant - .now)
    }
}
