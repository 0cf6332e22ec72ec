import Glibc

/// The host's monotonic clock in nanoseconds: the clock of every deadline plugins see.
public enum MonotonicClock {
    public static func nowNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    public static func deadline(after duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return nowNanoseconds() &+ UInt64(max(0, seconds)) * 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
