import Foundation
import RouteModel
import Testing
import TestSupport

/// UTCTimestamp is gmtime_r arithmetic; Foundation's UTC calendar (available in the test process,
/// not in the daemon) is the independent reference.
@Suite struct UTCTimestampTests {
    static func utcFields(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    }

    static func twoDigits(_ value: Int?) -> String { String(format: "%02d", value ?? -1) }

    @Test("the basic format matches Foundation's UTC calendar over 2,000 random instants, 1901 to 2199")
    func basicMatchesCalendar() {
        var generator = SeededGenerator(state: 0x5167_4a11)
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: -2_145_916_800...7_258_118_399, using: &generator)
            let parts = Self.utcFields(Date(timeIntervalSince1970: TimeInterval(seconds)))
            let expected = String(format: "%04d", parts.year ?? -1) + Self.twoDigits(parts.month) + Self.twoDigits(parts.day)
                + "T" + Self.twoDigits(parts.hour) + Self.twoDigits(parts.minute) + Self.twoDigits(parts.second) + "Z"
            #expect(UTCTimestamp.basic(secondsSince1970: seconds) == expected, "at \(seconds) s")
        }
    }

    @Test("the RFC 3339 form matches ISO8601DateFormatter over 2,000 random whole milliseconds")
    func stringMatchesFormatter() {
        var generator = SeededGenerator(state: 0x3339)
        for _ in 0..<2_000 {
            let milliseconds = Int64.random(in: -2_145_916_800_000...7_258_118_399_999, using: &generator)
            let date = Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
            let expected = ISO8601DateFormatter.string(
                from: date, timeZone: TimeZone(identifier: "GMT")!, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
            #expect(UTCTimestamp.string(millisecondsSince1970: milliseconds) == expected, "at \(milliseconds) ms")
        }
    }

    @Test("milliseconds are floor-divided, so instants before 1970 keep a positive fraction")
    func beforeTheEpoch() {
        #expect(UTCTimestamp.string(millisecondsSince1970: -1) == "1969-12-31T23:59:59.999Z")
        #expect(UTCTimestamp.string(millisecondsSince1970: 0) == "1970-01-01T00:00:00.000Z")
        #expect(UTCTimestamp.string(millisecondsSince1970: 1_796_000_000_123) == "2026-11-30T00:53:20.123Z")
        #expect(UTCTimestamp.basic(secondsSince1970: -1) == "19691231T235959Z")
    }
}
