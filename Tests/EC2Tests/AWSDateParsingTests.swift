import Foundation
@testable import EC2
import Testing

/// Expiration times and credentials documents, read without Foundation's ISO8601DateFormatter and
/// JSONSerialization, must give what those gave.
@Suite struct AWSDateParsingTests {
    @Test("timestamps parse as ISO8601DateFormatter parsed them (to the millisecond)", arguments: [
        "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00+01:00", "2026-01-01T00:00:00.5+01:00",
        "2026-01-01T00:00:00+0100", "2026-06-30T23:59:59.999Z",
        "2026-01-01 00:00:00Z", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "garbage", "",
    ])
    func timestamps(text: String) {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let expected = plain.date(from: text) ?? fractional.date(from: text)
        let parsed = AWSDateParsing.parse(text)
        #expect((parsed == nil) == (expected == nil))
        if let parsed, let expected {
            #expect(abs(parsed.timeIntervalSince1970 - expected.timeIntervalSince1970) < 0.001)
        }
    }

    func credentials(_ json: String) throws -> AWSCredentials {
        try AWSDateParsing.credentials(fromJSON: Array(json.utf8), source: "test", provider: "test")
    }

    @Test("a credentials document gives its keys, token and expiration")
    func document() throws {
        let read = try credentials(#"{"Code":"Success","AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"2026-01-01T00:00:00Z"}"#)
        #expect(read.accessKeyId == "ASIA1" && read.secretAccessKey == "s" && read.sessionToken == "t")
        #expect(read.expiration == Date(timeIntervalSince1970: 1_767_225_600))
    }

    @Test("fields that are not strings count as absent, as the `as? String` casts did")
    func nonStringFields() throws {
        let read = try credentials(#"{"AccessKeyId":"A","SecretAccessKey":"s","Token":null,"Expiration":5,"Code":true}"#)
        #expect(read.sessionToken == nil && read.expiration == nil)
        #expect(throws: CredentialsError.self) { try credentials(#"{"AccessKeyId":1,"SecretAccessKey":"s"}"#) }
    }

    @Test("not a credentials document, or a failure code, is an error", arguments: [
        #"[]"#, #"{}"#, #"not json"#, #"{"AccessKeyId":"A"}"#, #"{"AccessKeyId":"A","SecretAccessKey":"s","Code":"Expired"}"#,
    ])
    func refused(json: String) {
        #expect(throws: CredentialsError.self) { try credentials(json) }
    }
}
