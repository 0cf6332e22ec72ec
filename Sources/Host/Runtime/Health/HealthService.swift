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
public final class HealthService: Service, Sendable {
    let plugin: any HealthProbe
    let policy: HealthPolicy
    let specStore: RouteSpecStore
    let status: DaemonStatus
    let metrics: DaemonMetrics
    let trigger: ReconcileTrigger
    let logger: Logger
    let gate: StartupGate
    let clock: any RuntimeClock
    /// Where the health policy's monotonic times count from.
    private let origin: ContinuousClock.Instant
    private let latest = Mutex(HealthSnapshot(firstRoundCompleted: false))
    private let probeQueue = DispatchQueue(label: "vpcrouter.health-probe")
    /// True while a probe is inside the plugin; a hung one keeps it true, and no other is queued.
    private let probeRunning = Mutex(false)
    private struct Watch {
        var startedAt: ContinuousClock.Instant?
        var lastAnsweredAt: ContinuousClock.Instant?
        /// Rounds that got no answer in time, or were skipped behind a probe that had not returned.
        var roundsWithoutAnswer: UInt64 = 0
    }
    private let watch = Mutex(Watch())
    /// The EC2 instance behind each router address, from the reconciler's last read of the VPC:
    /// probe targets carry it (`vpcr_target.instance_id`) once known.
    private let instanceIDs = Mutex<[IPAddress: String]>([:])

    public init(plugin: any HealthProbe, policy: HealthPolicy, specStore: RouteSpecStore, status: DaemonStatus,
                metrics: DaemonMetrics, trigger: ReconcileTrigger, gate: StartupGate, clock: any RuntimeClock = SystemClock(), logger: Logger) {
        self.gate = gate
        self.plugin = plugin
        self.clock = clock
        self.origin = clock.now
        self.policy = policy
        self.specStore = specStore
        self.status = status
        self.metrics = metrics
        self.trigger = trigger
        self.logger = logger
        let staleAfter = Self.staleAfter(plugin.schedule)
        status.setHealthFreshness(staleAfter: staleAfter) { [self] in watch.withLock { $0.lastAnsweredAt } }
        metrics.addExpositionSource { [self] in
            let missed = watch.withLock { $0.roundsWithoutAnswer }
            var text = "# HELP vpcrouter_health_rounds_unanswered_total Probe rounds the health plugin did not answer "
                + "within its deadline plus a grace, or that were skipped behind a probe that had not returned\n"
                + "# TYPE vpcrouter_health_rounds_unanswered_total counter\nvpcrouter_health_rounds_unanswered_total \(missed)\n"
            if let age = roundAge() {
                text += "# HELP vpcrouter_health_round_age_seconds Seconds since the health plugin last answered a round "
                    + "(since health checks began, before the first)\n# TYPE vpcrouter_health_round_age_seconds gauge\n"
                    + "vpcrouter_health_round_age_seconds \(Double(age.nanosecondsClamped) / 1e9)\n"
            }
            return text
        }
    }

    /// The health every reconcile plans with: level-triggered, the current state of each router,
    /// read now (how long a router has been healthy counts up to this moment).
    public var snapshot: HealthSnapshot {
        var snapshot = latest.withLock { $0 }
        snapshot.time = monotonicNow()
        return snapshot
    }

    /// Now as the health policy counts time (nanoseconds on the runtime's clock since this service was made).
    func monotonicNow() -> MonotonicTime {
        MonotonicTime(nanoseconds: UInt64(clamping: (clock.now - origin).nanosecondsClamped))
    }

    /// How long past its deadline a probe may run before its round counts as no opinion.
    public static let probeGrace: Duration = .seconds(1)

    /// Health is stale (and `/readyz` fails) when no round has been answered for this long.
    public static func staleAfter(_ schedule: HealthSchedule) -> Duration {
        schedule.interval * 3 + schedule.timeout + probeGrace
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.gate.wait() }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        let schedule = plugin.schedule
        var tracker = HealthTracker(policy: policy)
        var scheduler = RoundScheduler(interval: schedule.interval, firstRoundAt: monotonicNow())
        var specSequence: UInt64 = 0
        var rounds: UInt64 = 0
        var hungSince: ContinuousClock.Instant?
        var lastTargets: [HealthTarget] = []
        var probeGeneration: UInt64 = 0
        watch.withLock { $0.startedAt = clock.now }
        logger.info("health checks scheduled", metadata: [
            "plugin.name": "\(plugin.name)", "health.interval": "\(schedule.interval)",
            "health.timeout": "\(schedule.timeout)", "health.fall": "\(policy.fall)", "health.rise": "\(policy.rise)",
            "health.hold_down": "\(policy.holdDown)",
        ])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if scheduler.delay(from: monotonicNow()) > .zero {
                // Until the slot itself, not for the delay: time that passes before the sleep
                // begins must not move the round.
                let due = origin + .nanoseconds(Int64(clamping: scheduler.nextRoundAt.nanoseconds))
                do { try await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(until: due) } } catch { break }
            }
            if let current = specStore.snapshot, current.sequence != specSequence {
                specSequence = current.sequence
                _ = tracker.updateTargets(current.spec.routerAddresses, at: monotonicNow())
            }
            let known = instanceIDs.withLock { $0 }
            let targets = tracker.probeTargets.map { HealthTarget(address: $0, instanceID: known[$0]) }
            // A plugin may cache what it derives from the targets per generation: a new list, or
            // an instance id learnt for one of them, is a new generation.
            if targets != lastTargets {
                lastTargets = targets
                probeGeneration += 1
            }
            if targets.isEmpty {
                // A spec whose router lists are all empty has no one to probe: the first round has
                // nothing to wait for, or the plan would hold (and never delete) for ever.
                if !latest.withLock({ $0.firstRoundCompleted }) {
                    _ = tracker.recordRound([:], at: monotonicNow())
                    publish(tracker, rounds: rounds)
                    trigger.fire(.health)
                }
            } else {
                let results: [IPAddress: ProbeResult]
                switch await probe(targets, generation: probeGeneration, timeout: schedule.timeout) {
                case .stopping:
                    return
                case .answered(let answer):
                    if let since = hungSince {
                        logger.notice("health plugin answers again", metadata: [
                            "plugin.name": "\(plugin.name)", "health.stuck_ms": "\(ReconcileService.milliseconds(clock.now - since))",
                        ])
                        hungSince = nil
                    }
                    watch.withLock { $0.lastAnsweredAt = clock.now }
                    results = answer
                case .pluginError:
                    // No opinion either, and not a completed round: the first one must carry
                    // verdicts before the reconciler plans with health.
                    _ = scheduler.roundFinished(at: monotonicNow())
                    continue
                case .overdue, .stillRunning:
                    // No opinion: the round is skipped, health keeps its last state, and after a
                    // few intervals `/readyz` says health is stale.
                    if hungSince == nil {
                        hungSince = clock.now
                        logger.error("health plugin did not answer within its deadline; its rounds give no opinion until it does", metadata: [
                            "plugin.name": "\(plugin.name)", "health.timeout": "\(schedule.timeout)",
                            "health.grace": "\(Self.probeGrace)",
                        ])
                    }
                    watch.withLock { $0.roundsWithoutAnswer += 1 }
                    _ = scheduler.roundFinished(at: monotonicNow())
                    continue
                }
                let outcome = tracker.recordRound(results, at: monotonicNow())
                rounds += 1
                publish(tracker, rounds: rounds)
                for transition in outcome.transitions {
                    logger.notice("router health changed", metadata: [
                        "router.ip": "\(transition.router)", "health.from": "\(transition.from)", "health.to": "\(transition.to)",
                    ])
                }
                if outcome.changed || rounds == 1 { trigger.fire(.health) }
            }
            _ = scheduler.roundFinished(at: monotonicNow())
        }
    }

    /// How a probe round ended.
    public enum RoundAnswer: Sendable {
        case answered([IPAddress: ProbeResult])
        /// The plugin returned an error: no opinion on any router (never "all failed").
        case pluginError
        /// Not back by its deadline plus the grace; it may still return later (and is ignored).
        case overdue
        /// An earlier probe has still not returned, so none was started.
        case stillRunning
        /// Graceful shutdown began while waiting.
        case stopping
    }

    /// One probe round, on the probe thread (never on the Swift concurrency threads). The wait
    /// ends at the deadline plus a grace even if the plugin never returns, and at once on a stop
    /// request: the probe keeps its thread, never this task.
    /// Records which instance holds each address, from a read of the VPC.
    func learnInstances(from observed: ObservedVPC) {
        var ids: [IPAddress: String] = [:]
        for interface in observed.networkInterfaces {
            guard let instance = interface.attachedInstanceId else { continue }
            for address in interface.privateAddresses { ids[address] = instance }
        }
        instanceIDs.withLock { $0 = ids }
    }

    func probe(_ targets: [HealthTarget], generation: UInt64, timeout: Duration) async -> RoundAnswer {
        let started = probeRunning.withLock { running -> Bool in
            if running { return false }
            running = true
            return true
        }
        guard started else { return .stillRunning }
        let plugin = self.plugin
        let logger = self.logger
        let clock = self.clock
        let deadline = clock.now + timeout
        let answer = OneShotAnswer()
        return await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { watchdog in
                // The watchdog: past the deadline plus a grace the round is overdue, whatever the probe does.
                watchdog.addTask {
                    do { try await clock.sleep(until: deadline + Self.probeGrace) } catch { return }
                    answer.resume(.overdue)
                }
                let result = await withCheckedContinuation { continuation in
                    answer.arm(continuation)
                    probeQueue.async { [self] in
                        var results: [IPAddress: ProbeResult] = [:]
                        var failed = false
                        do {
                            let answers = try plugin.probe(targets, deadline: deadline, generation: generation)
                            for (target, answer) in zip(targets, answers) {
                                results[target.address] = answer
                            }
                        } catch {
                            failed = true
                            logger.error("health probe failed; no router changes state this round", metadata: [
                                "plugin.name": "\(plugin.name)", "error": "\(error)",
                            ])
                        }
                        probeRunning.withLock { $0 = false }
                        answer.resume(failed ? .pluginError : .answered(results))
                    }
                }
                watchdog.cancelAll()
                return result
            }
        } onGracefulShutdown: {
            answer.resume(.stopping)
        }
    }

    /// The time since the last answered round (or since health checks began, before any).
    func roundAge() -> Duration? {
        let now = clock.now
        return watch.withLock { watch in (watch.lastAnsweredAt ?? watch.startedAt).map { now - $0 } }
    }

    func publish(_ tracker: HealthTracker, rounds: UInt64) {
        let snapshot = tracker.snapshot
        latest.withLock { $0 = snapshot }
        let now = monotonicNow()
        let routers = tracker.statuses.values.sorted { $0.router < $1.router }.map { router in
            RouterHealthView(
                router: router.router, condition: router.condition, lastVerdict: router.lastVerdict,
                roundTripTime: router.lastRoundTripTime, failingRounds: router.consecutiveFailedRounds,
                healthyRounds: router.consecutiveHealthyRounds,
                holdDownRemaining: router.condition == .failed ? router.lastFailedAt.map { max(.zero, policy.holdDown - (now - $0)) } : nil)
        }
        status.setHealth(.init(rounds: rounds, routers: routers, fall: policy.fall, rise: policy.rise))
        for condition in RouterCondition.allCases {
            metrics.routersByVerdict[condition.rawValue]?.record(snapshot.routers(in: condition).count)
        }
    }
}
