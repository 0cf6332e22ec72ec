import Dispatch
import PluginHost
import RouteModel
import Runtime
import Synchronization

/// A health plugin that answers from a script: per router, the verdict every round gives until
/// the script changes. It can hang (block its thread) until released, as a broken plugin would.
final class ScriptedProbe: HealthProbe {
    let name = "scripted"
    let schedule: HealthSchedule

    private struct State {
        var verdicts: [IPAddress: HealthVerdict] = [:]
        var roundTrips: [IPAddress: Duration] = [:]
        var hanging = false
        var roundsToFail = 0
        var rounds = 0
        var answered = 0
        var releasers: [DispatchSemaphore] = []
    }

    private let state = Mutex(State())

    init(schedule: HealthSchedule) {
        self.schedule = schedule
    }

    /// Rounds the runtime asked for (a hung one included).
    var rounds: Int { state.withLock { $0.rounds } }
    /// Rounds that returned.
    var answered: Int { state.withLock { $0.answered } }

    /// From the next round on, `router` is judged `verdict` (routers never set are healthy).
    func set(_ router: IPAddress, _ verdict: HealthVerdict, roundTrip: Duration? = nil) {
        state.withLock {
            $0.verdicts[router] = verdict
            $0.roundTrips[router] = roundTrip
        }
    }

    /// A plugin error (no verdicts at all) for each of the next `count` rounds.
    func fail(rounds count: Int) {
        state.withLock { $0.roundsToFail = count }
    }

    /// A refusal the script asked for.
    struct ScriptedFailure: Error {}

    /// From the next round on, every probe blocks until `release()`.
    func hang() {
        state.withLock { $0.hanging = true }
    }

    /// Lets every blocked probe return and stops hanging.
    func release() {
        let waiting = state.withLock { state -> [DispatchSemaphore] in
            state.hanging = false
            defer { state.releasers = [] }
            return state.releasers
        }
        waiting.forEach { $0.signal() }
    }

    func probe(_ targets: [HealthTarget], deadline: ContinuousClock.Instant, generation: UInt64) throws -> [ProbeResult] {
        let (blocker, failing) = state.withLock { state -> (DispatchSemaphore?, Bool) in
            state.rounds += 1
            if state.roundsToFail > 0 {
                state.roundsToFail -= 1
                return (nil, true)
            }
            guard state.hanging else { return (nil, false) }
            let semaphore = DispatchSemaphore(value: 0)
            state.releasers.append(semaphore)
            return (semaphore, false)
        }
        if failing { throw ScriptedFailure() }
        blocker?.wait()
        return state.withLock { state in
            state.answered += 1
            return targets.map { ProbeResult(state.verdicts[$0.address] ?? .healthy, roundTripTime: state.roundTrips[$0.address]) }
        }
    }
}
