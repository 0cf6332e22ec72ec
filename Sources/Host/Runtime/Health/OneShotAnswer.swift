import Synchronization

/// A continuation resumed by whichever of the probe, the watchdog timer and a stop request comes
/// first (possibly before the continuation exists); the later ones are ignored.
final class OneShotAnswer: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<HealthService.RoundAnswer, Never>)
        case answeredEarly(HealthService.RoundAnswer)
        case done
    }

    private let state = Mutex(State.idle)

    func arm(_ continuation: CheckedContinuation<HealthService.RoundAnswer, Never>) {
        let early = state.withLock { state -> HealthService.RoundAnswer? in
            guard case .answeredEarly(let answer) = state else {
                state = .waiting(continuation)
                return nil
            }
            state = .done
            return answer
        }
        if let early { continuation.resume(returning: early) }
    }

    func resume(_ answer: HealthService.RoundAnswer) {
        let waiting = state.withLock { state -> CheckedContinuation<HealthService.RoundAnswer, Never>? in
            switch state {
            case .idle:
                state = .answeredEarly(answer)
                return nil
            case .waiting(let continuation):
                state = .done
                return continuation
            case .answeredEarly, .done:
                return nil
            }
        }
        waiting?.resume(returning: answer)
    }
}
