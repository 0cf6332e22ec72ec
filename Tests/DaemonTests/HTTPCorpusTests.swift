import Foundation
import Testing
import TestSupport

/// One request from `corpus/http/cases.json`. Either `method`/`path`/`headers`/`body` (or a
/// `bodySize` of filler bytes), sent by an HTTP client, or `raw` bytes sent as they are.
/// `{TOKEN}` is the daemon's token, `{TOKEN_SHORT}` the token without its last character,
/// `{HUGE}` 100,000 letters, `{9KB}` 9,216 letters, `{MANY_HEADERS}` 150 header lines,
/// `{CHUNKS_2MIB}` 2 MiB of chunked body.
struct HTTPCase: Decodable, Sendable, CustomStringConvertible {
    let name: String
    var method: String?
    var path: String?
    var headers: [String: String]?
    var body: String?
    var bodySize: Int?
    var raw: String?
    let status: Int
    var error: String?
    var allow: String?
    var description: String { name }

    static func expand(_ text: String) -> String {
        var text = text.replacingOccurrences(of: "{TOKEN_SHORT}", with: String(LiveHTTPDaemon.token.dropLast()))
            .replacingOccurrences(of: "{TOKEN}", with: LiveHTTPDaemon.token)
            .replacingOccurrences(of: "{HUGE}", with: String(repeating: "a", count: 100_000))
            .replacingOccurrences(of: "{9KB}", with: String(repeating: "b", count: 9 * 1024))
            .replacingOccurrences(of: "{MANY_HEADERS}", with: (0..<150).map { "X-Field-\($0): \($0)\r\n" }.joined())
        if text.contains("{CHUNKS_2MIB}") {
            let chunk = "10000\r\n" + String(repeating: " ", count: 0x10000) + "\r\n"
            text = text.replacingOccurrences(of: "{CHUNKS_2MIB}", with: String(repeating: chunk, count: 32))
        }
        return text
    }
}

/// Bad requests against a live daemon in http mode: each gets its status and, where the server
/// answers in JSON, an error naming the problem; the spec in force never changes.
@Suite(.liveHTTPDaemon, .serialized, .timeLimit(.minutes(5))) struct HTTPCorpusTests {
    static let cases = Corpus.json([HTTPCase].self, target: "DaemonTests", set: "http")
    static let specCases = Corpus.cases(target: "RouteModelTests", set: "routespec").filter { $0.input != nil }

    @Test func theCorpusIsComplete() {
        #expect(Self.cases.count >= 35)
        #expect(Self.specCases.count >= 90)
    }

    @Test(arguments: cases)
    func isAnsweredWithItsStatusAndReason(_ testCase: HTTPCase) async throws {
        let live = try LiveHTTPDaemon.require()
        if let raw = testCase.raw {
            let answer = try RawHTTP.exchange(port: live.port, Array(HTTPCase.expand(raw).utf8))
            #expect(answer.status == testCase.status, "\(answer.text.prefix(500))")
        } else {
            var headers: [String: String] = [:]
            for (name, value) in testCase.headers ?? [:] { headers[name] = HTTPCase.expand(value) }
            let body = testCase.bodySize.map { Data(repeating: UInt8(ascii: "["), count: $0) } ?? testCase.body.map { Data($0.utf8) }
            let answer = try await HTTPProbe.request(live.base + HTTPCase.expand(testCase.path ?? "/"), method: testCase.method ?? "GET",
                                                     headers: headers, body: body)
            #expect(answer.status == testCase.status, "\(answer.text)")
            #expect(answer.header("content-type") == "application/json", "errors are JSON")
            let error = (answer.json as? [String: Any])?["error"] as? String
            #expect(error?.contains(testCase.error ?? "") == true, "\(answer.text)")
            if let allow = testCase.allow { #expect(answer.header("allow") == allow) }
            #expect(answer.header("www-authenticate") == (answer.status == 401 ? "Bearer" : nil))
        }
        #expect(try await live.specInForce() == LiveHTTPDaemon.goodSpecShown, "the last good spec stays in force")
    }

    /// Every route spec the validator refuses, POSTed: 400 with the validator's reason.
    @Test(arguments: specCases)
    func aRefusedSpecKeepsTheLastGoodOne(_ testCase: CorpusCase) async throws {
        let live = try LiveHTTPDaemon.require()
        let answer = try await HTTPProbe.request(live.base + "/route_spec", method: "POST", headers: [
            "Content-Type": "application/json", "Authorization": "Bearer \(LiveHTTPDaemon.token)",
        ], body: Data(testCase.input ?? []))
        #expect(answer.status == 400, "\(answer.text)")
        let error = (answer.json as? [String: Any])?["error"] as? String
        #expect(error?.hasPrefix("route spec refused: ") == true, "\(answer.text)")
        #expect(error?.contains(testCase.column(1)) == true, "\(answer.text)")
        #expect(try await live.specInForce() == LiveHTTPDaemon.goodSpecShown, "the last good spec stays in force")
    }
}
