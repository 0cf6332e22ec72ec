/// The authority a write carries down into the client: while it is bound (for the task that makes
/// the write), every attempt of every request checks it right before it would leave, after any
/// wait for a budget token and after any backoff, and fails with `EC2Error.Code.authorityExpired`
/// instead of sending once it says no. A deposed leader's retries therefore stop at its lease's
/// local deadline, not five attempts later.
public enum SendAuthority {
    @TaskLocal public static var mayStillSend: (@Sendable () -> Bool)?

    /// Runs `body` with `mayStillSend` bound (nil: no limit).
    public static func withAuthority<T>(
        _ mayStillSend: (@Sendable () -> Bool)?, _ body: () async throws -> T
    ) async rethrows -> T {
        try await $mayStillSend.withValue(mayStillSend, operation: body)
    }
}
