import EC2
import Foundation
import Testing
import TestSupport

/// A host clock minutes off EC2's: EC2 refuses the request as expired; the client learns EC2's
/// time from the answer's Date header and signs again with it.
@Suite struct ClockSkewTests {
    /// Plays an EC2 whose clock is `offset` seconds ahead of this host's, refusing as EC2 does a
    /// request signed more than 5 minutes from its time.
    static func skewedEC2(offset: TimeInterval, sendsDate: Bool = true) -> ScriptedTransport {
        ScriptedTransport { request, _ in
            let serverNow = Date().addingTimeInterval(offset)
            let headers = sendsDate ? ["date": httpDate(serverNow)] : [:]
            let stamp = request.headers.first { $0.name.lowercased() == "x-amz-date" }?.value ?? ""
            guard let signed = amzDate(stamp), abs(signed.timeIntervalSince(serverNow)) <= 300 else {
                var refusal = ScriptedTransport.ec2Error(400, code: "RequestExpired", message: "Request has expired.")
                refusal.headers.merge(headers) { $1 }
                return refusal
            }
            return ScriptedTransport.xml(200, "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId><cidrBlock>10.0.0.0/16</cidrBlock></item></vpcSet></DescribeVpcsResponse>")
        }
    }

    static func httpDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var fields = tm()
        gmtime_r(&seconds, &fields)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &fields)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `20261205T213000Z`, the X-Amz-Date form.
    static func amzDate(_ text: String) -> Date? {
        let digits = text.filter(\.isNumber)
        guard text.count == 16, digits.count == 14 else { return nil }
        let number = { (from: Int, length: Int) in Int32(digits.dropFirst(from).prefix(length))! }
        var fields = tm()
        fields.tm_year = number(0, 4) - 1900
        fields.tm_mon = number(4, 2) - 1
        fields.tm_mday = number(6, 2)
        fields.tm_hour = number(8, 2)
        fields.tm_min = number(10, 2)
        fields.tm_sec = number(12, 2)
        return Date(timeIntervalSince1970: TimeInterval(timegm(&fields)))
    }

    @Test(arguments: [900.0, -900.0, 3600.0 * 5])
    func aSkewedClockIsCorrectedFromTheDateHeader(offset: TimeInterval) async throws {
        let transport = Self.skewedEC2(offset: offset)
        // One attempt: signing again with EC2's time is not a retry of a failure.
        let client = scriptedClient(transport, retry: RetryPolicy(maxAttempts: 1))
        #expect(try await client.describeVpcs(vpcId: "vpc-1").first?.vpcId == "vpc-1")
        #expect(transport.requestBodies.count == 2, "one refusal, then one request signed with EC2's time")
        #expect(abs(await client.signingClockSkew - offset) < 5)
        // Learnt once: later calls are signed right the first time.
        _ = try await client.describeVpcs(vpcId: "vpc-1")
        #expect(transport.requestBodies.count == 3)
    }

    @Test func withoutADateHeaderTheErrorSaysTheClockIsOff() async throws {
        let transport = Self.skewedEC2(offset: 900, sendsDate: false)
        let error = try await #require(throws: EC2Error.self) { try await scriptedClient(transport).describeVpcs(vpcId: "vpc-1") }
        #expect(error.code == "RequestExpired")
        #expect(error.description.contains("this host's clock is off from EC2's"), "\(error)")
        #expect(transport.requestBodies.count == 1, "not retried blindly")
    }

    @Test func concurrentRefusalsAllSignAgain() async throws {
        let transport = Self.skewedEC2(offset: -1200)
        let client = scriptedClient(transport)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try await client.describeVpcs(vpcId: "vpc-1") } }
            try await group.waitForAll()
        }
        #expect(transport.requestBodies.count <= 8)
    }

    @Test func httpDatesParse() {
        let date = ClockSkew.parseHTTPDate("Sat, 05 Dec 2026 21:30:00 GMT")
        #expect(date?.timeIntervalSince1970 == 1_796_506_200)
        #expect(ClockSkew.parseHTTPDate("yesterday") == nil)
        #expect(ClockSkew.parseHTTPDate("Sat, 05 Dec 2026 21:30:00 GMT trailing") == nil)
    }
}
