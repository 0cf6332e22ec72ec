import Logging
import Reconciler

extension ReconcileService {
    /// Applies a plan's prefix-list writes (`--prefix-lists`), in order, each recorded in the
    /// ledger before it is sent (a list by its group, a route by table and list) and confirmed
    /// after. Their preconditions were all observed, so one that fails does not stop the others.
    /// Returns the ledger and whether anything was written.
    func applyPrefixLists(_ writes: [PrefixListAction], ledger: OwnershipLedger) async -> (ledger: OwnershipLedger, wrote: Bool) {
        guard !writes.isEmpty else { return (ledger, false) }
        if settings.dryRun {
            logger.notice("dry run: no prefix list written", metadata: ["plan.prefix_list_writes": "\(writes.count)"])
            return (ledger, false)
        }
        guard mayWrite() else {
            noteFollowerSkipped(writes.count)
            return (ledger, false)
        }
        var current = ledger.recordingIntents(writes)
        if current != ledger { persist(current) }
        var succeeded: [(action: PrefixListAction, createdListId: String?)] = []
        for action in writes {
            if Task.isShuttingDownGracefully || !mayWrite() { break }
            do {
                let created = try await access.apply(action)
                succeeded.append((action, created))
                metrics.prefixListWrites[action.verb.rawValue]?.increment()
                if action.isFailover { metrics.failovers.increment() }
                // The plan's log already said what is written; this says it was.
                logger.info("prefix-list write done", metadata: Self.fields(action).merging(
                    ["prefix_list.write": "\(action.verb.rawValue)"].merging(created.map { ["prefix_list.created": "\($0)"] } ?? [:]) { $1 }) { $1 })
            } catch {
                notePassProblem("prefix-list write failed: \(error)")
                metrics.writeErrors.increment()
                logger.error("prefix-list write failed", metadata: Self.fields(action).merging(["error": "\(error)"]) { $1 })
                if error is PrefixListWriteConflict || error is RouteWriteConflict { trigger.fire(.recheck) }
            }
        }
        current = current.confirming(succeeded)
        return (current, !succeeded.isEmpty)
    }

    func log(_ actions: [PrefixListAction], cause: ReconcileTrigger.Cause) {
        for action in actions {
            let level: Logger.Level = action.verb.writes ? .notice : (action.verb == .keepRoute ? .debug : .info)
            logger.log(level: level, "\(action.verb.rawValue)", metadata: Self.fields(action).merging(["reconcile.cause": "\(cause.rawValue)"]) { $1 })
        }
    }

    static func fields(_ action: PrefixListAction) -> Logger.Metadata {
        var fields: Logger.Metadata = ["prefix_list": "\(action.listName)", "reason": "\(action.reason)"]
        if let table = action.tableId { fields["route.table"] = "\(table)" }
        if let old = action.oldTarget { fields["router.old"] = "\(old)" }
        if let new = action.newTarget { fields["router.new"] = "\(new)" }
        if !action.addEntries.isEmpty { fields["prefix_list.add"] = "\(action.addEntries.count)" }
        if !action.removeEntries.isEmpty { fields["prefix_list.remove"] = "\(action.removeEntries.count)" }
        if action.isFailover { fields["failover"] = "true" }
        return fields
    }
}
