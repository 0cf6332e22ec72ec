import Foundation
import Testing
import TestSupport

/// One command line from `corpus/cli/cases.json`: the arguments after `-r`/`-v`, and a substring
/// of the one line the binary must print before exiting with status 2, whether the parser, the
/// option checks or a plugin found the problem. `afterStartUpLog` marks a refusal that can only be
/// decided once the plugins exist (they register the HTTP handlers), so the plugins' own log lines
/// may come first and the refusal is the last line.
struct CommandLineCase: Decodable, Sendable, CustomStringConvertible {
    let name: String
    let args: [String]
    let message: String
    var afterStartUpLog: Bool?
    var description: String { name }
}

/// The real binary refuses every bad command line in the corpus with exit status 2 and one line
/// on stderr naming the problem, and starts nothing.
@Suite(.serialized, .timeLimit(.minutes(5))) struct CommandLineCorpusTests {
    static let cases = Corpus.json([CommandLineCase].self, target: "DaemonTests", set: "cli")

    @Test func theCorpusIsComplete() {
        #expect(Self.cases.count >= 40)
    }

    @Test(arguments: cases)
    func isRefusedWithExit2AndOneLine(_ testCase: CommandLineCase) async throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-cli-corpus")
        defer { try? FileManager.default.removeItem(at: directory) }
        let shortToken = directory.appendingPathComponent("short-token")
        try Data("tooshort\n".utf8).write(to: shortToken)
        let substitute = { (text: String) in
            text.replacingOccurrences(of: "{SHORT_TOKEN_FILE}", with: shortToken.path)
                .replacingOccurrences(of: "{PORT}", with: "\(freeLoopbackPort())")
        }
        let arguments = testCase.args.map(substitute) + ["--state-dir", directory.appendingPathComponent("state").path]
        let result = try await VPCRouterUnderTest.runDetached(arguments, timeout: 30)
        #expect(result.status == 2, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        if testCase.afterStartUpLog != true { #expect(lines.count == 1, "one line: \(result.stderr)") }
        let refusal = lines.last.map(String.init) ?? ""
        #expect(refusal.hasPrefix("vpcrouter: "), "\(result.stderr)")
        #expect(refusal.contains(substitute(testCase.message)), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("plugin started") && !result.stderr.contains("HTTP server listening"))
    }
}
