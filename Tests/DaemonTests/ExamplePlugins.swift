import Foundation
import TestSupport

/// Builds the out-of-tree example plugins the way a third party would.
enum ExamplePlugins {
    /// `cc` with nothing but a copy of the header on the include path.
    static func buildDrainfile(into directory: URL) throws -> String {
        let include = directory.appendingPathComponent("include")
        try FileManager.default.createDirectory(at: include, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: PackagePaths.abiHeaderDirectory + "/vpcrouter_plugin.h",
                                         toPath: include.appendingPathComponent("vpcrouter_plugin.h").path)
        let source = PackagePaths.root.appendingPathComponent("Examples/CHealthPlugin/drainfile.c").path
        let output = directory.appendingPathComponent("libdrainfile.so").path
        let result = try ProcessRunner.shell(
            "cc -shared -fPIC -O2 -Wall -Wextra -Werror -fvisibility=hidden -I '\(include.path)' -o '\(output)' '\(source)'")
        guard result.status == 0 else { throw ExampleBuildError(message: result.stderr) }
        return output
    }

    /// The test-only `stuck` health plugin (Tests/Tools/stuck_health.c), whose probe hangs.
    static func buildStuckHealth(into directory: URL) throws -> String {
        let source = PackagePaths.root.appendingPathComponent("Tests/Tools/stuck_health.c").path
        let output = directory.appendingPathComponent("libstuck.so").path
        let result = try ProcessRunner.shell(
            "cc -shared -fPIC -O1 -Wall -Wextra -Werror -fvisibility=hidden -I '\(PackagePaths.abiHeaderDirectory)' -o '\(output)' '\(source)'")
        guard result.status == 0 else { throw ExampleBuildError(message: result.stderr) }
        return output
    }

    /// The separate Swift package under Examples/SwiftModePlugin, built with its own scratch path.
    static func buildSwiftModePlugin(scratch: URL) async throws -> String {
        let package = PackagePaths.root.appendingPathComponent("Examples/SwiftModePlugin").path
        let result = try await ProcessRunner.shellOffPool("swift build --package-path '\(package)' --scratch-path '\(scratch.path)' 2>&1", timeout: 600)
        guard result.status == 0 else { throw ExampleBuildError(message: result.stdout) }
        return scratch.appendingPathComponent("debug/libStaticRoutesMode.so").path
    }

    /// The Romana mode package under Examples/RomanaMode; returns the directory holding its .so.
    static func buildRomanaMode(scratch: URL) async throws -> String {
        let package = PackagePaths.root.appendingPathComponent("Examples/RomanaMode").path
        let result = try await ProcessRunner.shellOffPool("swift build --package-path '\(package)' --scratch-path '\(scratch.path)' 2>&1", timeout: 600)
        guard result.status == 0 else { throw ExampleBuildError(message: result.stdout) }
        return scratch.appendingPathComponent("debug").path
    }
}

struct ExampleBuildError: Error, CustomStringConvertible {
    let message: String
    var description: String { "example build failed: \(message)" }
}
