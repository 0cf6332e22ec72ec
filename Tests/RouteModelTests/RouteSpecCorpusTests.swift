import Foundation
import Testing
import TestSupport
@testable import RouteModel

/// Every input in `corpus/routespec` is refused with its error code and a message naming the problem.
@Suite struct RouteSpecCorpusTests {
    static let cases = Corpus.cases(target: "RouteModelTests", set: "routespec")

    /// The inputs too large to keep as files.
    static func generated(_ name: String) -> [UInt8] {
        switch name {
        case "generated:routes-10001":
            let entries = (0..<10_001).map { "\"10.\($0 / 256).\($0 % 256).0/24\": []" }
            return Array(("{" + entries.joined(separator: ", ") + "}").utf8)
        case "generated:routers-257":
            let routers = (0..<257).map { "\"10.0.\($0 / 256).\($0 % 256)\"" }
            return Array(("{\"10.1.0.0/16\": [" + routers.joined(separator: ", ") + "]}").utf8)
        case "generated:bytes-2MiB":
            return Array(repeating: UInt8(ascii: " "), count: 2 << 20)
        default:
            return []
        }
    }

    @Test func theCorpusIsComplete() {
        #expect(Self.cases.count >= 90)
        #expect(Self.cases.allSatisfy { $0.input != nil || $0.name.hasPrefix("generated:") })
        #expect(Self.cases.allSatisfy { !$0.column(1).isEmpty }, "every case names the expected message")
    }

    @Test(arguments: cases)
    func isRefusedWithACodeAndAClearMessage(_ testCase: CorpusCase) {
        let input = testCase.input ?? Self.generated(testCase.name)
        #expect(!input.isEmpty || testCase.name == "not-json-empty.json", "input of \(testCase.name)")
        do {
            let spec = try RouteSpecValidator().validate(json: input)
            Issue.record("accepted \(spec.json)")
        } catch {
            #expect(error.code.description == testCase.column(0), "\(error.message)")
            #expect(error.message.contains(testCase.column(1)), "message: \(error.message)")
            #expect(!error.message.contains("\n"), "one line")
            #expect(error.message.count < 400, "a bounded message, whatever the input size")
        }
    }
}
