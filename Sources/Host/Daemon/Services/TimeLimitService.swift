import ServiceLifecycle

/// Bounds a run that must end by itself (`vpcrouter plan`): when the limit passes it returns,
/// and its service configuration then shuts the group down.
struct TimeLimitService: Service {
    let limit: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: limit) }
    }
}
