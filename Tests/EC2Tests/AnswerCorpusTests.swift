import Foundation
import HTTPClient
import Testing
import TestSupport

@testable import EC2

/// Every answer in `corpus/answers` (malformed, truncated or hostile XML, HTML pages, EC2 error
/// codes) becomes a typed `EC2Error` whose message names the problem; none crashes the client.
@Suite struct AnswerCorpusTests {
    static let cases = Corpus.cases(target: "EC2Tests", set: "answers")

    /// Inputs too large to keep as files.
    static func input(_ testCase: CorpusCase) -> [UInt8] {
        if let input = testCase.input { return input }
        switch testCase.name {
        case "generated:deep-nesting-200000":
            return Array((String(repeating: "<a>", count: 200_000) + String(repeating: "</a>", count: 200_000)).utf8)
        default:
            return []
        }
    }

    @Test func theCorpusIsComplete() {
        #expect(Self.cases.count >= 35)
        #expect(Self.cases.allSatisfy { Int($0.column(0)) != nil && !$0.column(1).isEmpty && !$0.column(2).isEmpty })
    }

    @Test(arguments: cases)
    func decodesToATypedError(_ testCase: CorpusCase) throws {
        let status = try #require(Int(testCase.column(0)))
        let response = HTTPResponse(status: status, body: Self.input(testCase))
        do {
            let root = try EC2Client.decodeResponse(response, action: "DescribeRouteTables")
            Issue.record("decoded as <\(root.name)>")
        } catch let error as EC2Error {
            #expect(error.code.rawValue == testCase.column(1), "\(error)")
            #expect(error.description.contains(testCase.column(2)), "\(error)")
            #expect(error.action == "DescribeRouteTables" && error.httpStatus == status)
            #expect(error.description.count < 400, "a bounded message")
        }
    }

    /// The same answers through the whole client (budget, retries, pagination): a typed error after
    /// the attempts, never a crash or a hang; garbled answers are retried, client errors are not.
    @Test(arguments: cases)
    func theClientSurvivesIt(_ testCase: CorpusCase) async throws {
        let status = try #require(Int(testCase.column(0)))
        let transport = ScriptedTransport { _, _ in HTTPResponse(status: status, body: Self.input(testCase)) }
        do {
            let tables = try await scriptedClient(transport, retry: RetryPolicy(maxAttempts: 2)).describeRouteTables(vpcId: "vpc-1")
            Issue.record("decoded \(tables.count) tables")
        } catch let error as EC2Error {
            #expect(error.code.rawValue == testCase.column(1), "\(error)")
            #expect(transport.requestBodies.count == (error.isRetryable ? 2 : 1), "\(error)")
        }
    }
}
