import PluginHost
import RouteModel
import Runtime

/// The health plugin instance as the runtime's health loop sees it. The runtime's deadline is
/// turned into the host's monotonic clock, the clock every deadline a plugin sees is on.
struct PluginHealthProbe: HealthProbe {
    let instance: PluginInstance

    var name: String { instance.plugin.name }
    var schedule: HealthSchedule { instance.schedule }

    func probe(_ targets: [HealthTarget], deadline: ContinuousClock.Instant, generation: UInt64) throws -> [ProbeResult] {
        let remaining = max(.zero, deadline - ContinuousClock.now)
        return try instance.probe(targets, deadline: MonotonicClock.deadline(after: remaining), generation: generation)
    }
}
