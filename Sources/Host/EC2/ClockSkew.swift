import FoundationEssentials
import Glibc

/// How far this host's clock is from EC2's, learnt from the `Date` header of an answer that
/// refused a request as signed at the wrong time. Requests are then signed with EC2's time, as the
/// AWS SDKs do, so a host clock minutes off degrades to a warning instead of an outage.
public struct ClockSkew: Sendable, Equatable {
    /// Seconds to add to the local clock to get EC2's.
    public private(set) var offset: TimeInterval = 0

    public init() {}

    /// The error codes with which AWS refuses a request signed too far from its own time.
    public static func isSkewError(_ error: EC2Error) -> Bool {
        ["RequestExpired", "RequestTimeTooSkewed", "RequestInTheFuture"].contains(error.code)
            || ([.authFailure, "SignatureDoesNotMatch"].contains(error.code) && error.message.lowercased().contains("expired"))
    }

    /// The time to sign with.
    public func now(local: Date = Date()) -> Date { local.addingTimeInterval(offset) }

    /// Learns the offset from the `Date` header of an answer to a request signed with offset
    /// `signedWith`; returns whether signing again can help: false when the header is missing or
    /// unreadable, or when the request was already signed with EC2's time.
    public mutating func learn(fromDateHeader header: String?, signedWith: TimeInterval, local: Date = Date()) -> Bool {
        guard let header, let server = Self.parseHTTPDate(header) else { return false }
        let measured = (server.timeIntervalSince(local)).rounded()
        // Another request refused at the same time may have taught it already.
        if abs(measured - offset) >= 1 { offset = measured }
        return abs(offset - signedWith) >= 1
    }

    /// An HTTP date, `Sat, 05 Dec 2026 21:30:00 GMT` (RFC 9110's preferred form, the one AWS sends).
    public static func parseHTTPDate(_ text: String) -> Date? {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard words.count == 6, words[0].count == 4, words[0].hasSuffix(","), words[5] == "GMT",
              let day = Int(words[1]), let month = months.firstIndex(of: String(words[2])), let year = Int(words[3]) else { return nil }
        let clock = words[4].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard clock.count == 3, let hour = clock[0], let minute = clock[1], let second = clock[2],
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        return Date(timeIntervalSince1970: TimeInterval(timegm(&fields)))
    }
}
