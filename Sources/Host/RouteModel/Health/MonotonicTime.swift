/// A point on the host's monotonic clock (the clock of `monotonic_now_ns` and every probe
/// deadline). The policy never reads a clock itself; callers pass the time in, so tests can drive
/// it without sleeping.
public struct MonotonicTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static func seconds(_ seconds: Double) -> MonotonicTime {
        MonotonicTime(nanoseconds: UInt64((seconds * 1e9).rounded()))
    }

    public static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Adds a duration; negative durations saturate at zero and overflow saturates at the maximum.
    public static func + (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime {
        let delta = rhs.nanosecondsClamped
        if delta >= 0 {
            let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(UInt64(delta))
            return MonotonicTime(nanoseconds: overflow ? .max : sum)
        }
        let magnitude = UInt64(-delta)
        return MonotonicTime(nanoseconds: lhs.nanoseconds > magnitude ? lhs.nanoseconds - magnitude : 0)
    }

    /// The signed time from `rhs` to `lhs`.
    public static func - (lhs: MonotonicTime, rhs: MonotonicTime) -> Duration {
        if lhs >= rhs {
            return .nanoseconds(Int64(clamping: lhs.nanoseconds - rhs.nanoseconds))
        }
        return .nanoseconds(-Int64(clamping: rhs.nanoseconds - lhs.nanoseconds))
    }

    public var description: String {
        "\(Double(nanoseconds) / 1e9)s"
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to the Int64 range (enough for 292 years).
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            return seconds < 0 ? .min : .max
        }
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if sumOverflow {
            return seconds < 0 ? .min : .max
        }
        return sum
    }
}
