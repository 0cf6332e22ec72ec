import Glibc

/// `YYYY-MM-DDThh:mm:ss.mmmZ` (RFC 3339 in UTC with milliseconds), written with gmtime_r so the
/// status pages and the log need none of Foundation's date formatters.
public enum UTCTimestamp {
    public static func string(millisecondsSince1970 milliseconds: Int64) -> String {
        let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        // Floor division, so that instants before 1970 still have a fraction in 0...999.
        var seconds = time_t(remainder < 0 ? quotient - 1 : quotient)
        let fraction = remainder < 0 ? remainder + 1000 : remainder
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return zeroPadded(Int(parts.tm_year) + 1900, 4) + "-" + zeroPadded(Int(parts.tm_mon) + 1, 2) + "-"
            + zeroPadded(Int(parts.tm_mday), 2) + "T" + zeroPadded(Int(parts.tm_hour), 2) + ":"
            + zeroPadded(Int(parts.tm_min), 2) + ":" + zeroPadded(Int(parts.tm_sec), 2) + "."
            + zeroPadded(Int(fraction), 3) + "Z"
    }

    /// As printf's `%0<width>d`.
    static func zeroPadded(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padding = String(repeating: "0", count: max(0, width - digits.count - (value < 0 ? 1 : 0)))
        return (value < 0 ? "-" : "") + padding + digits
    }
}
