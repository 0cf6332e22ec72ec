import Foundation
@testable import Runtime
import Testing

/// The status pages' timestamps, written without Foundation's formatters, must read as
/// ISO8601DateFormatter wrote them (internet date-time, fractional seconds, UTC).
@Suite struct DaemonStatusTimestampTests {
    static let instants: [Double] = [
        0, 0.001, 0.5, 59.999, 1_796_000_000.123, 1_796_000_000.9994, 1_796_000_000.0004, 951_782_400.25,
        4_102_444_799.999, -1.5, -86_400.75, 1_700_000_000,
    ]

    @Test("DaemonStatus.timestamp matches ISO8601DateFormatter", arguments: instants)
    func matchesFoundation(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let foundation = ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "GMT")!, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        #expect(DaemonStatus.timestamp(date) == foundation)
    }
}
