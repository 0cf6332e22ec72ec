import PluginHost
import RouteModel

/// What the health loop needs from a health plugin instance: its name, the schedule it asked
/// for, and one blocking probe round. The loop calls `probe` on a thread of its own, never on the
/// Swift concurrency threads, and stops waiting for it at its deadline plus a grace.
public protocol HealthProbe: Sendable {
    var name: String { get }
    var schedule: HealthSchedule { get }
    /// One round: one verdict per target, in order, with the round-trip time when the plugin
    /// measured one. May block until (or, if the plugin misbehaves, past) `deadline`, which is on
    /// the runtime's clock.
    func probe(_ targets: [HealthTarget], deadline: ContinuousClock.Instant, generation: UInt64) throws -> [ProbeResult]
}
