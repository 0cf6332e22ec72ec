import Foundation
import TestSupport

/// Compiles the ABI fixture variants with `cc` against the header alone.
enum FixtureBuilder {
    static let source = PackagePaths.root.appendingPathComponent("Tests/PluginHostTests/Fixtures/fixture_plugin.c").path

    /// Builds `lib<name>.so` in `directory` with the given variant macros.
    static func build(name: String, defines: [String] = [], in directory: URL) throws -> String {
        let output = directory.appendingPathComponent("lib\(name).so").path
        var flags = ["-DFIXTURE_NAME=\\\"\(name)\\\""]
        flags += defines.map { "-D\($0)" }
        let command = "cc -std=c11 -shared -fPIC -O1 -Wall -Werror -fvisibility=hidden -I '\(PackagePaths.abiHeaderDirectory)' "
            + flags.joined(separator: " ") + " -o '\(output)' '\(source)'"
        let result = try ProcessRunner.shell(command)
        guard result.status == 0 else { throw FixtureBuildError(message: result.stderr) }
        return output
    }
}

struct FixtureBuildError: Error, CustomStringConvertible {
    let message: String
    var description: String { "fixture build failed: \(message)" }
}
