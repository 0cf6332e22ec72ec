import Foundation
import Logging
import Reconciler
import RouteModel
import ServiceLifecycle
import StateStore
import Synchronization

/// The run loop: observe → plan → apply → record, serially, on a new spec, on any health change
/// and every recheck interval. Triggers that arrive during a pass coalesce into one more pass
/// with the newest inputs. Nothing is written on a failed or partial observation.
final class ReconcileService: Service, Sendable {
    struct Settings: Sendable {
        var policy: ReconcilePolicy
        var recheckInterval: Duration?
        var dryRun: Bool
        /// How long to wait for written routes to show in a re-read (eventual consistency).
        var visibilityTimeout: Duration = .seconds(10)
    }

    let access: any VPCRouteAccess
    let settings: Settings
    let specStore: RouteSpecStore
    let health: HealthService
    let stateStore: StateStore
    let trigger: ReconcileTrigger
    let status: DaemonStatus
    let metrics: DaemonMetrics
    let gate: StartupGate
    /// Whether a route write may start now; nil without leader election (always).
    let writeAuthority: (@Sendable () -> Bool)?
    let logger: Logger
    private let followerNoticeShown = Mutex(false)

    init(access: any VPCRouteAccess, settings: Settings, specStore: RouteSpecStore, health: HealthService, stateStore: StateStore,
         trigger: ReconcileTrigger, status: DaemonStatus, metrics: DaemonMetrics, gate: StartupGate,
         writeAuthority: (@Sendable () -> Bool)? = nil, logger: Logger) {
        self.access = access
        self.settings = settings
        self.specStore = specStore
        self.health = health
        self.stateStore = stateStore
        self.trigger = trigger
        self.status = status
        self.metrics = metrics
        self.gate = gate
        self.writeAuthority = writeAuthority
        self.logger = logger
    }

    /// Whether this replica may start a route write now.
    func mayWrite() -> Bool {
        writeAuthority?() ?? true
    }

    func run() async throws {
        await gate.wait()
        guard !Task.isCancelled else { return }
        var ledger = (try? stateStore.loadLedger()) ?? OwnershipLedger()
        logger.info("ownership ledger loaded", metadata: ["ledger.cidrs": "\(ledger.cidrs.count)", "state.dir": "\(stateStore.directory)"])
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { [self] in
                for await _ in specStore.updates().cancelOnGracefulShutdown() { trigger.fire(.spec) }
            }
            if let interval = settings.recheckInterval {
                tasks.addTask { [self] in
                    while !Task.isShuttingDownGracefully {
                        do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
                        trigger.fire(.recheck)
                    }
                }
            }
            trigger.fire(.start)
            for await cause in trigger.causes.cancelOnGracefulShutdown() {
                // A trigger still buffered when the stop request came is not acted on.
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                ledger = await reconcile(cause: cause, ledger: ledger)
            }
            tasks.cancelAll()
        }
    }

    /// One pass. Returns the ledger to use next.
    func reconcile(cause: ReconcileTrigger.Cause, ledger: OwnershipLedger) async -> OwnershipLedger {
        let healthChangedAt = trigger.takeHealthChange()
        let spec = specStore.spec
        let healthSnapshot = health.snapshot
        let started = ContinuousClock.now
        metrics.reconciles.increment()
        let observed: ObservedVPC
        do {
            // A stop request abandons a read (nothing has been decided yet)...
            observed = try await cancelWhenGracefulShutdown { [access] in
                try await access.observe(routers: spec?.routerAddresses ?? [])
            }
        } catch {
            metrics.reconcileErrors.increment()
            logger.error("VPC observation failed; no route is changed on a failed read", metadata: ["error": "\(error)", "reconcile.cause": "\(cause.rawValue)"])
            status.setObservationError("\(error)")
            return ledger
        }
        let routePlan = plan(spec: spec, health: healthSnapshot, observed: observed, ledger: ledger, policy: settings.policy)
        logPlan(routePlan, cause: cause)
        var succeeded: [RouteAction] = []
        var lastWriteAt: ContinuousClock.Instant?
        if settings.dryRun {
            if !routePlan.writes.isEmpty { logger.notice("dry run: no route written", metadata: ["plan.writes": "\(routePlan.writes.count)"]) }
        } else if !routePlan.writes.isEmpty && !mayWrite() {
            noteFollowerSkipped(routePlan.writes.count)
        } else {
            followerNoticeShown.withLock { $0 = false }
            for action in routePlan.writes {
                // ...but lets a write in flight finish, and starts no new one.
                if Task.isShuttingDownGracefully {
                    logger.notice("stopping: remaining route writes not started", metadata: ["writes.skipped": "\(routePlan.writes.count - succeeded.count)"])
                    break
                }
                // Leadership is checked again right before every write: it ends at a local deadline.
                if !mayWrite() {
                    noteFollowerSkipped(routePlan.writes.count - succeeded.count)
                    break
                }
                do {
                    try await access.apply(action)
                    succeeded.append(action)
                    lastWriteAt = .now
                    metrics.actions[action.verb.rawValue]?.increment()
                    if action.isFailover {
                        metrics.failovers.increment()
                        if let healthChangedAt {
                            metrics.detectionToWrite.recordNanoseconds(Int64((ContinuousClock.now - healthChangedAt).nanosecondsClamped))
                        }
                    }
                } catch {
                    metrics.writeErrors.increment()
                    logger.error("route write failed", metadata: Self.fields(action).merging(["error": "\(error)"]) { $1 })
                }
            }
        }
        var nextLedger = routePlan.nextLedger(succeeded: succeeded)
        if routePlan.isHeld { nextLedger = ledger }
        if nextLedger != ledger {
            do {
                try stateStore.saveLedger(nextLedger)
            } catch {
                logger.error("cannot save the ownership ledger; keeping it in memory", metadata: ["error": "\(error)"])
            }
        }
        var shown = observed
        if !succeeded.isEmpty, !Task.isShuttingDownGracefully, let visible = await waitUntilVisible(routePlan, writes: succeeded) {
            shown = visible
            if let healthChangedAt, let lastWriteAt, succeeded.contains(where: \.isFailover) {
                let total = ContinuousClock.now - healthChangedAt
                metrics.detectionToVisible.recordNanoseconds(Int64(total.nanosecondsClamped))
                logger.notice("failover visible", metadata: [
                    "latency.detection_to_write_ms": "\(Self.milliseconds(lastWriteAt - healthChangedAt))",
                    "latency.detection_to_visible_ms": "\(Self.milliseconds(total))",
                ])
            }
        }
        // After writes, the status shows the tables as re-read; without writes the plan already says it all.
        let shownPlan = succeeded.isEmpty
            ? routePlan
            : plan(spec: spec, health: healthSnapshot, observed: shown, ledger: nextLedger, policy: settings.policy)
        status.setReconcile(ReconcileStatus(plan: shownPlan, spec: spec, observed: shown), lastActions: routePlan.actions)
        metrics.reconcileDuration.recordNanoseconds(Int64((ContinuousClock.now - started).nanosecondsClamped))
        return nextLedger
    }

    /// A follower plans but writes nothing; said at notice level once per stretch of following.
    func noteFollowerSkipped(_ count: Int) {
        metrics.writesSkippedNotLeader.increment(by: count)
        let first = followerNoticeShown.withLock { shown -> Bool in
            defer { shown = true }
            return !shown
        }
        logger.log(level: first ? .notice : .debug, "not the leader: planned route writes not made", metadata: ["plan.writes": "\(count)"])
    }

    /// Re-reads the VPC until every written route shows its new target (bounded).
    func waitUntilVisible(_ routePlan: RoutePlan, writes: [RouteAction]) async -> ObservedVPC? {
        let routers = specStore.spec?.routerAddresses ?? []
        let deadline = ContinuousClock.now + settings.visibilityTimeout
        var delay = Duration.milliseconds(50)
        while ContinuousClock.now < deadline {
            guard let observed = try? await access.observe(routers: routers) else { return nil }
            if writes.allSatisfy({ Self.isVisible($0, in: observed) }) { return observed }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
        }
        logger.warning("written routes not visible yet; the next pass will check again", metadata: ["writes": "\(writes.count)"])
        return nil
    }

    static func isVisible(_ action: RouteAction, in observed: ObservedVPC) -> Bool {
        guard let table = observed.routeTables.first(where: { $0.id == action.tableId }) else { return action.verb == .delete }
        let route = table.routes.first { $0.destination == action.cidr }
        if action.verb == .delete { return route == nil }
        guard let route, case .networkInterface(let eni, _) = route.target else { return false }
        return eni == action.newTarget?.networkInterfaceId
    }

    func logPlan(_ routePlan: RoutePlan, cause: ReconcileTrigger.Cause) {
        for note in routePlan.notes {
            logger.warning("\(note.message)", metadata: ["note": "\(note.kind)", "route.cidr": "\(note.cidr.map { "\($0)" } ?? "-")"])
        }
        for action in routePlan.actions {
            let level: Logger.Level = action.verb.writes ? .notice : (action.verb == .keep ? .debug : .info)
            logger.log(level: level, "\(action.verb.rawValue)", metadata: Self.fields(action).merging(["reconcile.cause": "\(cause.rawValue)"]) { $1 })
        }
    }

    static func fields(_ action: RouteAction) -> Logger.Metadata {
        var fields: Logger.Metadata = ["route.cidr": "\(action.cidr)", "reason": "\(action.reason)"]
        if let table = action.tableId { fields["route.table"] = "\(table)" }
        if let old = action.oldTarget { fields["router.old"] = "\(old)" }
        if let new = action.newTarget { fields["router.new"] = "\(new)" }
        if action.isFailover { fields["failover"] = "true" }
        return fields
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.nanosecondsClamped / 1_000_000
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
