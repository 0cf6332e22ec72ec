import FoundationEssentials
import Logging
import Reconciler
import RouteModel
import ServiceLifecycle
import StateStore
import Synchronization

/// The run loop: one pass at a time (observe → plan → apply → confirm), on a new spec, on any
/// health change, every recheck interval and after a pass that wrote. Triggers that arrive during a pass coalesce into one more pass
/// with the newest inputs. Nothing is written on a failed or partial observation.
public final class ReconcileService: Service, Sendable {
    public struct Settings: Sendable {
        public var policy: ReconcilePolicy
        public var recheckInterval: Duration?
        public var dryRun: Bool
        /// How long to wait for written routes to show in a re-read (eventual consistency).
        public var visibilityTimeout: Duration = .seconds(10)
        /// How old the last observation may be for a failover to be written from it before a new
        /// read (the read costs a round trip to EC2; the failover should not wait for it).
        public var failoverObservationMaxAge: Duration = .seconds(60)
        /// Stop after the first pass that had a spec, a completed health round and an
        /// observation, keeping its plan (`vpcrouter plan`).
        public var singlePass = false

        public init(policy: ReconcilePolicy, recheckInterval: Duration?, dryRun: Bool) {
            self.policy = policy
            self.recheckInterval = recheckInterval
            self.dryRun = dryRun
        }
    }

    /// What one pass hands to the next.
    struct Memory: Sendable {
        var ledger: OwnershipLedger
        var lastObservation: (vpc: ObservedVPC, at: ContinuousClock.Instant)?
        /// The re-read that showed the last pass's writes, for the next pass to plan from.
        var confirmation: ObservedVPC?
        /// The writes that re-read confirmed, shown as their routes' last action by the next pass.
        var confirmedWrites: [RouteAction] = []
        /// Follow-up passes since a pass with another cause.
        var followUpsInARow = 0
        /// The writes the last pass set out to make.
        var lastPlannedWrites = PlannedWrites()
        /// From the last plan: when a route held on a backup may fail back (see `RoutePlan.nextFailBackCheck`).
        var failBackCheck: ContinuousClock.Instant?
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
    let clock: any RuntimeClock
    /// The plan of the first complete pass, in a single-pass run.
    private let firstCompletePlan = Mutex<RoutePlan?>(nil)
    public var completePlan: RoutePlan? { firstCompletePlan.withLock { $0 } }
    private let followerNoticeShown = Mutex(false)
    /// What went wrong in the current pass (a failed read or write), for the retry.
    private let passProblem = Mutex<String?>(nil)
    func notePassProblem(_ problem: String) { passProblem.withLock { $0 = problem } }
    public let retries = ReconcileRetries()
    private let passesFinished = Atomic<UInt64>(0)
    /// Passes finished, whatever their outcome (with the retry they scheduled already recorded).
    public var passes: UInt64 { passesFinished.load(ordering: .acquiring) }
    /// Routes already reported as someone else's (table, CIDR, target): each is logged once.
    private let foreignReported = Mutex(Set<String>())

    public init(access: any VPCRouteAccess, settings: Settings, specStore: RouteSpecStore, health: HealthService, stateStore: StateStore,
                trigger: ReconcileTrigger, status: DaemonStatus, metrics: DaemonMetrics, gate: StartupGate,
                writeAuthority: (@Sendable () -> Bool)? = nil, clock: any RuntimeClock = SystemClock(), logger: Logger) {
        self.clock = clock
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
        metrics.addExpositionSource { [retries] in retries.exposition() }
    }

    /// Whether this replica may start a route write now.
    func mayWrite() -> Bool {
        writeAuthority?() ?? true
    }

    public func run() async throws {
        await gate.wait()
        guard !Task.isCancelled else { return }
        var ledger = OwnershipLedger()
        do {
            ledger = try stateStore.loadLedger()
        } catch {
            // Checked at start-up; this is a ledger broken since then. Nothing will be deleted that
            // is not in the spec, and the file is left alone until the next save.
            logger.error("cannot load the ownership ledger; starting from an empty one", metadata: ["error": "\(error)"])
        }
        logger.info("ownership ledger loaded", metadata: [
            "ledger.routes": "\(ledger.count)", "ledger.v1_cidrs": "\(ledger.legacyCIDRs.count)", "state.dir": "\(stateStore.directory)",
        ])
        var memory = Memory(ledger: ledger)
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { [self] in
                for await _ in specStore.updates().cancelOnGracefulShutdown() { trigger.fire(.spec) }
            }
            if let interval = settings.recheckInterval {
                tasks.addTask { [self] in
                    while !Task.isShuttingDownGracefully {
                        do { try await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: interval) } } catch { return }
                        trigger.fire(.recheck)
                    }
                }
            }
            trigger.fire(.start)
            var backoff = RetryBackoff()
            var failBackArmedFor: ContinuousClock.Instant?
            for await cause in trigger.causes.cancelOnGracefulShutdown() {
                // A trigger still buffered when the stop request came is not acted on.
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                passProblem.withLock { $0 = nil }
                memory.failBackCheck = nil
                await reconcile(cause: cause, memory: &memory)
                if settings.singlePass, completePlan != nil { break }
                // A route held on a backup: plan again when its preferred router may have been
                // healthy for the hold time (one timer for the soonest; a pass then sets the next).
                if let due = memory.failBackCheck {
                    let at = due + .milliseconds(20)
                    if failBackArmedFor.map({ $0 <= clock.now || at < $0 }) ?? true {
                        failBackArmedFor = at
                        logger.debug("a route is held on a backup; planning again when its preferred router may have been healthy for the hold time",
                                     metadata: ["fail_back.check_in_ms": "\(Self.milliseconds(max(at - clock.now, .zero)))"])
                        tasks.addTask { [self] in
                            do { try await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(until: at) } } catch { return }
                            trigger.fire(.failBack)
                        }
                    }
                }
                // A failed read or write is retried on its own schedule, not the recheck's.
                let retry = retries.afterPass(problem: passProblem.withLock { $0 }, backoff: &backoff)
                status.setRetry(retries.view)
                passesFinished.add(1, ordering: .releasing)
                if let retry {
                    let due = clock.now + retry.delay
                    tasks.addTask { [self] in
                        do { try await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(until: due) } } catch { return }
                        if retries.isCurrent(retry) { trigger.fire(.retry) }
                    }
                }
            }
            tasks.cancelAll()
        }
    }

    /// Where a pass's observation came from, which decides how much of the plan it may write.
    enum ObservationSource: Sendable {
        /// Read by this pass.
        case read
        /// The re-read that confirmed the previous pass's writes, made just before this pass.
        case confirmation
        /// The last read, up to `failoverObservationMaxAge` old, for a health change: a failover
        /// does not wait for a round trip to EC2. Only the moves that follow the health change are
        /// written from it (they repoint routes this process manages); the pass after reads.
        case recent

        var allowsFullPlan: Bool { self != .recent }
    }

    /// One pass, in one straight line: observe → plan (once) → apply (in the plan's order, failovers
    /// first) → confirm (re-read until the writes show). A pass that wrote, or that could write only
    /// the failovers, is followed at once by another that plans from what was confirmed (or reads),
    /// so the status shows the tables as they now are and nothing left over waits for the recheck;
    /// after a failed write or read, the retry's backoff decides instead.
    func reconcile(cause: ReconcileTrigger.Cause, memory: inout Memory) async {
        let healthChangedAt = trigger.takeHealthChange()
        let spec = specStore.spec
        let healthSnapshot = health.snapshot
        let started = clock.now
        let ledgerAtStart = memory.ledger
        metrics.reconciles.increment()
        defer {
            if memory.ledger != ledgerAtStart { persist(memory.ledger) }
            metrics.reconcileDuration.recordNanoseconds(Int64((clock.now - started).nanosecondsClamped))
        }

        // Observe.
        guard let (observed, source) = await observe(spec: spec, healthChanged: healthChangedAt != nil, cause: cause, memory: &memory) else { return }

        // Plan.
        let routePlan = plan(spec: spec, health: healthSnapshot, observed: observed, ledger: memory.ledger, policy: settings.policy)
        let writes: [RouteAction]
        let listWrites: [PrefixListAction]
        if source.allowsFullPlan {
            health.learnInstances(from: observed)
            // Counted from when health was read for the plan, not from the end of this pass.
            memory.failBackCheck = routePlan.nextFailBackCheck.map { started + $0 }
            if settings.singlePass, spec != nil, healthSnapshot.firstRoundCompleted {
                firstCompletePlan.withLock { $0 = routePlan }
            }
            for note in routePlan.notes {
                logger.warning("\(note.message)", metadata: ["note": "\(note.kind)", "route.cidr": "\(note.cidr.map { "\($0)" } ?? "-")"])
            }
            log(routePlan.actions, cause: cause)
            // The writes just confirmed stay the routes' last action until a pass acts on them again.
            // (Later actions win; a route the plan keeps shows the status's own entry otherwise.)
            let shownActions = source == .confirmation
                ? memory.confirmedWrites + routePlan.actions.filter { $0.verb != .keep } : routePlan.actions
            status.setReconcile(ReconcileStatus(plan: routePlan, spec: spec, observed: observed), lastActions: shownActions)
            writes = routePlan.writes
            listWrites = routePlan.prefixListWrites
            log(routePlan.prefixListActions, cause: cause)
            memory.ledger = recordIntents(writes, in: routePlan.ledgerAdoptingKeptRoutes)
        } else {
            writes = routePlan.writes.filter(\.followsHealthChange)
            listWrites = routePlan.prefixListWrites.filter(\.followsHealthChange)
            log(writes, cause: cause)
            log(listWrites, cause: cause)
            // Not the plan's ledger: it was settled against an older observation.
            memory.ledger = recordIntents(writes, in: memory.ledger)
        }
        memory.confirmedWrites = []

        // Apply: prefix lists first (`--prefix-lists`; each write's precondition was observed).
        let lists = await applyPrefixLists(listWrites, ledger: memory.ledger)
        memory.ledger = lists.ledger
        let written = await apply(writes, healthChangedAt: healthChangedAt)
        memory.ledger = memory.ledger.confirming(written)

        // Confirm.
        if !written.isEmpty, !Task.isShuttingDownGracefully, let visible = await waitUntilVisible(writes: written) {
            if let healthChangedAt, written.contains(where: \.followsHealthChange) {
                reportFailoverVisible(since: healthChangedAt)
            }
            memory.lastObservation = (visible, clock.now)
            memory.confirmation = visible
            memory.confirmedWrites = written
        }
        // Prefix-list writes show in a plain re-read, which the follow-up plans from.
        if lists.wrote, memory.confirmation == nil, passProblem.withLock({ $0 }) == nil, !Task.isShuttingDownGracefully,
           let visible = try? await access.observe(routers: spec?.routerAddresses ?? []) {
            memory.lastObservation = (visible, clock.now)
            memory.confirmation = visible
        }
        // After a failed write the retry reads again, on its backoff (immediately would add to throttling).
        if passProblem.withLock({ $0 }) != nil {
            memory.confirmation = nil
            return
        }
        guard memory.confirmation != nil || !source.allowsFullPlan else { return }
        // A plan that makes the same writes again from what confirmed them has not settled (another
        // writer changing the tables back): it waits for the next trigger rather than spend the API
        // budget. Plans that progress (a large prefix list filled 100 entries a pass) go on.
        let planned = PlannedWrites(routes: writes, prefixLists: listWrites)
        let repeated = cause == .followUp && planned == memory.lastPlannedWrites
        memory.lastPlannedWrites = planned
        memory.followUpsInARow = cause == .followUp ? memory.followUpsInARow + 1 : 0
        if !repeated, memory.followUpsInARow < Self.maximumFollowUpsInARow {
            trigger.fire(.followUp)
        } else {
            logger.warning("the plan has not settled: its writes repeat or it has followed up \(memory.followUpsInARow) times in a row; waiting for the next trigger",
                           metadata: ["writes": "\(written.count)"])
        }
    }

    /// A bound on follow-ups, whatever they write: far above what a spec of the route quota's size needs.
    static let maximumFollowUpsInARow = 50

    /// What a pass set out to write, to tell a plan that progresses from one that repeats itself.
    struct PlannedWrites: Equatable, Sendable {
        var routes: [RouteAction] = []
        var prefixLists: [PrefixListAction] = []
    }

    /// The pass's observation: the confirming re-read of the pass before, else the last read when
    /// a health change can be acted on from it, else a new read (nil when that fails or a stop
    /// request came first; nothing is written then).
    func observe(spec: RouteSpec?, healthChanged: Bool, cause: ReconcileTrigger.Cause, memory: inout Memory) async -> (ObservedVPC, ObservationSource)? {
        if let confirmation = memory.confirmation {
            memory.confirmation = nil
            return (confirmation, .confirmation)
        }
        if !settings.dryRun, healthChanged, let last = memory.lastObservation, clock.now - last.at < settings.failoverObservationMaxAge {
            return (last.vpc, .recent)
        }
        // No read starts after a stop request...
        if Task.isShuttingDownGracefully { return nil }
        do {
            // ...and one under way is abandoned (nothing has been decided yet).
            let observed = try await cancelWhenGracefulShutdown { [access] in
                try await access.observe(routers: spec?.routerAddresses ?? [])
            }
            memory.lastObservation = (observed, clock.now)
            return (observed, .read)
        } catch {
            passProblem.withLock { $0 = "VPC observation failed: \(error)" }
            metrics.reconcileErrors.increment()
            logger.error("VPC observation failed; no route is changed on a failed read", metadata: ["error": "\(error)", "reconcile.cause": "\(cause.rawValue)"])
            status.setObservationError("\(error)")
            return nil
        }
    }

    /// Performs `writes` in order; returns those that succeeded. A stop request lets a write in
    /// flight finish and starts no new one. In a dry run nothing is written.
    func apply(_ writes: [RouteAction], healthChangedAt: ContinuousClock.Instant?) async -> [RouteAction] {
        guard !writes.isEmpty else { return [] }
        if settings.dryRun {
            logger.notice("dry run: no route written", metadata: ["plan.writes": "\(writes.count)"])
            return []
        }
        var succeeded: [RouteAction] = []
        for action in writes {
            if Task.isShuttingDownGracefully {
                logger.notice("stopping: remaining route writes not started", metadata: ["writes.skipped": "\(writes.count - succeeded.count)"])
                break
            }
            // Leadership is checked right before every write: it ends at a local deadline.
            guard mayWrite() else {
                noteFollowerSkipped(writes.count - succeeded.count)
                break
            }
            followerNoticeShown.withLock { $0 = false }
            let sent = clock.now
            do {
                try await access.apply(action)
                succeeded.append(action)
                status.recordWrite(action)
                metrics.actions[action.verb.rawValue]?.increment()
                if action.isFailover { metrics.failovers.increment() }
                if action.followsHealthChange, let healthChangedAt {
                    let latency = clock.now - healthChangedAt
                    metrics.detectionToWrite.recordNanoseconds(Int64(latency.nanosecondsClamped))
                    logger.info("failover written", metadata: Self.fields(action).merging([
                        "latency.detection_to_send_ms": "\(Self.milliseconds(sent - healthChangedAt))",
                        "latency.detection_to_write_ms": "\(Self.milliseconds(latency))",
                    ]) { $1 })
                }
            } catch {
                passProblem.withLock { $0 = "route write failed: \(error)" }
                metrics.writeErrors.increment()
                logger.error("route write failed", metadata: Self.fields(action).merging(["error": "\(error)"]) { $1 })
                // The table changed under the plan: read it again at once rather than at the next recheck.
                if error is RouteWriteConflict { trigger.fire(.recheck) }
            }
        }
        return succeeded
    }

    func reportFailoverVisible(since healthChangedAt: ContinuousClock.Instant) {
        let total = clock.now - healthChangedAt
        metrics.detectionToVisible.recordNanoseconds(Int64(total.nanosecondsClamped))
        status.recordFailoverVisible(after: total)
        logger.notice("failover visible", metadata: ["latency.detection_to_visible_ms": "\(Self.milliseconds(total))"])
    }

    /// Write-ahead: the routes `writes` may create or repoint are saved in the ledger before any
    /// is sent, so a crash between a write and the next save forgets none. A save that fails is
    /// logged and the writes still go ahead: a route left unrecorded is never deleted by mistake,
    /// at worst left behind.
    func recordIntents(_ writes: [RouteAction], in ledger: OwnershipLedger) -> OwnershipLedger {
        guard !settings.dryRun, !writes.isEmpty, mayWrite() else { return ledger }
        let intended = ledger.recordingIntents(writes)
        if intended != ledger { persist(intended) }
        return intended
    }

    func persist(_ ledger: OwnershipLedger) {
        // A dry run (and so a plan) never changes the state directory.
        guard !settings.dryRun else { return }
        do {
            try stateStore.saveLedger(ledger)
        } catch {
            logger.error("cannot save the ownership ledger; keeping it in memory", metadata: ["error": "\(error)"])
        }
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

    /// Re-reads the VPC until every written route shows its new target (bounded). A new health
    /// change ends the wait (nil): a second failover must not queue behind the first one's polling.
    /// So does a stop request, at once: nothing is decided on these reads, and the graceful window
    /// is not to be spent on them.
    func waitUntilVisible(writes: [RouteAction]) async -> ObservedVPC? {
        let routers = specStore.spec?.routerAddresses ?? []
        let deadline = clock.now + settings.visibilityTimeout
        var delay = Duration.milliseconds(50)
        while clock.now < deadline {
            if Task.isShuttingDownGracefully { return nil }
            if trigger.healthChangePending {
                logger.info("health changed while waiting for written routes to show; acting on it first", metadata: ["writes": "\(writes.count)"])
                return nil
            }
            let read = try? await cancelWhenGracefulShutdown { [access] in try await access.observe(routers: routers) }
            guard let observed = read else { return nil }
            if writes.allSatisfy({ Self.isVisible($0, in: observed) }) { return observed }
            do {
                try await cancelWhenGracefulShutdown { [clock, delay] in try await clock.sleep(for: delay) }
            } catch {
                return nil
            }
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

    func log(_ actions: [RouteAction], cause: ReconcileTrigger.Cause) {
        for action in actions {
            var level: Logger.Level = action.verb.writes ? .notice : (action.verb == .keep ? .debug : .info)
            if action.reasonCode == .notWhereWritten {
                let key = "\(action.tableId ?? "-") \(action.cidr) \(action.oldTarget?.description ?? "-")"
                level = foreignReported.withLock { $0.insert(key).inserted } ? .warning : .debug
            }
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
