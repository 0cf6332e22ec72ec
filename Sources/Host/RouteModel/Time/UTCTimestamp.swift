import Glibc

/// Instants written in UTC with gmtime_r, for the status pages, the log and request signing. Not
/// with Foundation's Calendar or formatters: without FoundationInternationalization in the process
/// (the daemon links only FoundationEssentials), `TimeZone(identifier: "UTC")` is nil.
public enum UTCTimestamp {
    /// `YYYY-MM-DDThh:mm:ss.mmmZ` (RFC 3339 with milliseconds).
    public static func string(millisecondsSince1970 milliseconds: Int64) -> String {
        let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        // Floor division, so that instants before 1970 still have a fraction in 0...999.
        let fields = calendarFields(secondsSince1970: remainder < 0 ? quotient - 1 : quotient)
        let fraction = remainder < 0 ? remainder + 1000 : remainder
        return zeroPadded(fields.year, 4) + "-" + zeroPadded(fields.month, 2) + "-" + zeroPadded(fields.day, 2)
            + "T" + zeroPadded(fields.hour, 2) + ":" + zeroPadded(fields.minute, 2) + ":"
            + zeroPadded(fields.second, 2) + "." + zeroPadded(Int(fraction), 3) + "Z"
    }

    /// `YYYYMMDDThhmmssZ` (ISO 8601 basic format, whole seconds), as SigV4's X-Amz-Date wants.
    public static func basic(secondsSince1970 seconds: Int64) -> String {
        let fields = calendarFields(secondsSince1970: seconds)
        return zeroPadded(fields.year, 4) + zeroPadded(fields.month, 2) + zeroPadded(fields.day, 2)
            + "T" + zeroPadded(fields.hour, 2) + zeroPadded(fields.minute, 2) + zeroPadded(fields.second, 2) + "Z"
    }

    private static func calendarFields(secondsSince1970 seconds: Int64)
        -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)
    {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// As printf's `%0<width>d`.
    static func zeroPadded(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padding = String(repeating: "0", count: max(0, width - digits.count - (value < 0 ? 1 : 0)))
        return (value < 0 ? "-" : "") + padding + digits
    }
}
