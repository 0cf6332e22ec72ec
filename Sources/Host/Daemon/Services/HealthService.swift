import Dispatch
import Health
import Logging
import PluginHost
import Reconciler
import RouteModel
import ServiceLifecycle
import Synchronization

/// Probes the spec's routers with the health plugin on its schedule, applies the health policy
/// (fall, rise, hold-down), publishes the current sets and wakes the reconciler at once when
/// they change. Probes are blocking plugin calls, so they run on their own dispatch queue, not on
/// the Swift concurrency threads.
final class HealthService: Service, Sendable {
    let instance: PluginInstance
    let policy: HealthPolicy
    let specStore: RouteSpecStore
    let status: DaemonStatus
    let metrics: DaemonMetrics
    let trigger: ReconcileTrigger
    let logger: Logger
    let gate: StartupGate
    private let latest = Mutex(Reconciler.HealthSnapshot([:], firstRoundCompleted: false))
    private let probeQueue = DispatchQueue(label: "vpcrouter.health-probe")

    init(instance: PluginInstance, policy: HealthPolicy, specStore: RouteSpecStore, status: DaemonStatus,
         metrics: DaemonMetrics, trigger: ReconcileTrigger, gate: StartupGate, logger: Logger) {
        self.gate = gate
        self.instance = instance
        self.policy = policy
        self.specStore = specStore
        self.status = status
        self.metrics = metrics
        self.trigger = trigger
        self.logger = logger
    }

    /// The health every reconcile plans with: level-triggered, the current state of each router.
    var snapshot: Reconciler.HealthSnapshot { latest.withLock { $0 } }

    static func now() -> MonotonicTime { MonotonicTime(nanoseconds: MonotonicClock.nowNanoseconds()) }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.gate.wait() }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        let schedule = instance.schedule
        var tracker = HealthTracker(policy: policy)
        var scheduler = RoundScheduler(interval: schedule.interval, firstRoundAt: Self.now())
        var specSequence: UInt64 = 0
        var rounds: UInt64 = 0
        logger.info("health checks scheduled", metadata: [
            "plugin.name": "\(instance.plugin.name)", "health.interval": "\(schedule.interval)",
            "health.timeout": "\(schedule.timeout)", "health.fall": "\(policy.fall)", "health.rise": "\(policy.rise)",
            "health.hold_down": "\(policy.holdDown)",
        ])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let delay = scheduler.delay(from: Self.now())
            if delay > .zero {
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) } } catch { break }
            }
            if let current = specStore.snapshot, current.sequence != specSequence {
                specSequence = current.sequence
                _ = tracker.updateTargets(current.spec.routerAddresses, at: Self.now())
            }
            let targets = tracker.probeTargets
            if !targets.isEmpty {
                let results = await probe(targets, generation: tracker.targetGeneration, timeout: schedule.timeout)
                let outcome = tracker.recordRound(results, at: Self.now())
                rounds += 1
                publish(tracker, rounds: rounds)
                for transition in outcome.transitions {
                    logger.notice("router health changed", metadata: [
                        "router.ip": "\(transition.router)", "health.from": "\(transition.from)", "health.to": "\(transition.to)",
                    ])
                }
                if outcome.changed || rounds == 1 { trigger.fire(.health) }
            }
            _ = scheduler.roundFinished(at: Self.now())
        }
    }

    /// One probe round. A plugin error gives no opinion on any router (never "all failed").
    func probe(_ targets: [IPv4Address], generation: UInt64, timeout: Duration) async -> [IPv4Address: ProbeResult] {
        let instance = self.instance
        let logger = self.logger
        let deadline = MonotonicClock.deadline(after: timeout)
        return await withCheckedContinuation { continuation in
            probeQueue.async {
                var results: [IPv4Address: ProbeResult] = [:]
                do {
                    let verdicts = try instance.probe(targets.map { HealthTarget(address: $0) }, deadline: deadline, generation: generation)
                    for (target, verdict) in zip(targets, verdicts) {
                        results[target] = ProbeResult(Self.verdict(verdict))
                    }
                } catch {
                    logger.error("health probe failed; no router changes state this round", metadata: ["error": "\(error)"])
                    for target in targets { results[target] = ProbeResult(.unknown) }
                }
                continuation.resume(returning: results)
            }
        }
    }

    static func verdict(_ verdict: HealthVerdict) -> ProbeVerdict {
        switch verdict {
        case .healthy: .healthy
        case .questionable: .questionable
        case .failed: .failed
        case .unknown: .unknown
        }
    }

    func publish(_ tracker: HealthTracker, rounds: UInt64) {
        var statuses: [IPv4Address: Reconciler.HealthSnapshot.Status] = [:]
        var neverHealthy: Set<IPv4Address> = []
        for (router, routerStatus) in tracker.statuses {
            statuses[router] = switch routerStatus.condition {
            case .healthy: .healthy
            case .suspect: .suspect
            case .questionable: .questionable
            case .failed: .failed
            case .unknown: .unknown
            }
            if !routerStatus.wasHealthy { neverHealthy.insert(router) }
        }
        latest.withLock { $0 = Reconciler.HealthSnapshot(statuses, firstRoundCompleted: true, neverHealthy: neverHealthy) }
        let sets = tracker.snapshot
        status.setHealth(.init(
            rounds: rounds, failed: sets.failed.sorted(), questionable: sets.questionable.sorted(),
            suspect: sets.suspect.sorted(), workingSet: tracker.probeTargets.sorted()))
        metrics.routersByVerdict["healthy"]?.record(sets.healthy.count)
        metrics.routersByVerdict["suspect"]?.record(sets.suspect.count)
        metrics.routersByVerdict["questionable"]?.record(sets.questionable.count)
        metrics.routersByVerdict["failed"]?.record(sets.failed.count)
        metrics.routersByVerdict["unknown"]?.record(sets.unknown.count)
    }
}
