import Foundation
import Testing
import TestSupport

/// Plugin files anyone else could have written, and plugin names two files provide, as an operator
/// meets them through the real binary: start-up, `vpcrouter plugins`, `check-plugin`, `/plugins`.
@Suite struct PluginTrustTests {
    /// A directory with mode 777 holding a copy of the built-in tcp plugin with mode 666.
    let openDirectory: URL
    let untrustedCopy: String
    let builtInTCP = PackagePaths.products.appendingPathComponent("libTCPHealth.so").path
    let drainDirectory: URL

    init() throws {
        openDirectory = try PackagePaths.temporaryDirectory("vpcr-open")
        untrustedCopy = openDirectory.appendingPathComponent("libTCPHealth.so").path
        try FileManager.default.copyItem(atPath: builtInTCP, toPath: untrustedCopy)
        chmod(untrustedCopy, 0o666)
        chmod(openDirectory.path, 0o777)
        drainDirectory = try PackagePaths.temporaryDirectory("vpcr-trust-drain")
    }

    static let untrustedFileRule = "has mode 0666 (owner root); a plugin file must not be writable by group or others"

    func vpcrouter(_ arguments: [String]) throws -> ProcessResult {
        try VPCRouterUnderTest.run(arguments, location: [], timeout: 60)
    }

    /// A trusted directory (0755) holding its own copy of the built-in tcp plugin.
    func trustedCopyDirectory() throws -> URL {
        let directory = try PackagePaths.temporaryDirectory("vpcr-copy")
        chmod(directory.path, 0o755)
        try FileManager.default.copyItem(atPath: builtInTCP, toPath: directory.appendingPathComponent("libTCPHealth.so").path)
        return directory
    }

    @Test func aSelectedPluginThatIsUntrustedStopsStartUpWithExit1AndOneLine() throws {
        let result = try VPCRouterUnderTest.run([
            "-p", "\(freeLoopbackPort())", "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142",
            "-H", "tcp", "--tcp_check_port", "9", "--plugin-dir", openDirectory.path,
            "--state-dir", drainDirectory.appendingPathComponent("state").path,
        ], timeout: 30)
        #expect(result.status == 1, "\(result.stderr)")
        let line = "vpcrouter: -H tcp: plugin file refused: \(untrustedCopy): untrusted: \(untrustedCopy) \(Self.untrustedFileRule)\n"
        #expect(result.stderr == line, "one line, and nothing starts: \(result.stderr)")
    }

    /// A child named by `--multi_plugins` is a selected plugin too: its untrusted copy stops start-up.
    @Test func anUntrustedChildOfMultiStopsStartUpWithExit1() throws {
        let result = try VPCRouterUnderTest.run([
            "-p", "\(freeLoopbackPort())", "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142",
            "-H", "multi", "--multi_plugins", "icmpecho:tcp", "--tcp_check_port", "9", "--plugin-dir", openDirectory.path,
            "--state-dir", drainDirectory.appendingPathComponent("state").path,
        ], timeout: 30)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("plugin file refused: \(untrustedCopy): untrusted: \(untrustedCopy) \(Self.untrustedFileRule)"),
                "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line, and nothing starts: \(result.stderr)")
    }

    @Test func aMissingPluginNamesTheFilesNotOpenedAsUntrusted() throws {
        let result = try VPCRouterUnderTest.run(["-m", "nosuch", "--plugin-dir", openDirectory.path], timeout: 30)
        #expect(result.status == 2)
        #expect(result.stderr.hasSuffix("; not opened as untrusted: \(untrustedCopy)\n"), "\(result.stderr)")
    }

    @Test func theListingAndCheckPluginShowTheRefusal() throws {
        let listing = try vpcrouter(["plugins", "--plugin-dir", openDirectory.path])
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("tcp  kind=health version=1.0.0 abi=1.1 file=\(builtInTCP)"), "\(listing.stdout)")
        #expect(listing.stdout.contains("refused:\n  \(untrustedCopy): untrusted: \(untrustedCopy) \(Self.untrustedFileRule)\n"),
                "\(listing.stdout)")

        let check = try vpcrouter(["check-plugin", untrustedCopy])
        #expect(check.status == 1)
        #expect(check.stdout == "refused: libTCPHealth.so: untrusted: \(untrustedCopy) \(Self.untrustedFileRule)\n")

        chmod(untrustedCopy, 0o644)
        let directoryOnly = try vpcrouter(["check-plugin", untrustedCopy])
        #expect(directoryOnly.status == 1)
        #expect(directoryOnly.stdout == "refused: libTCPHealth.so: untrusted: directory \(openDirectory.path) has mode 0777 (owner root); "
            + "a plugin's directory must not be writable by group or others\n")
        chmod(untrustedCopy, 0o666)

        let allowed = try vpcrouter(["check-plugin", "--allow-untrusted-plugins", untrustedCopy])
        #expect(allowed.status == 0)
        #expect(allowed.stdout.hasPrefix("accepted: tcp kind=health version=1.0.0 abi=1.1 file=\(untrustedCopy)\n"
            + "warning: untrusted, loaded because of --allow-untrusted-plugins: \(untrustedCopy) \(Self.untrustedFileRule)\n"),
            "\(allowed.stdout)")
    }

    @Test func directoriesFromTheEnvironmentFollowTheSameRules() throws {
        var environment = VPCRouterUnderTest.environment()
        environment["VPCROUTER_PLUGIN_PATH"] = openDirectory.path
        let listing = try ProcessRunner.run(PackagePaths.vpcrouter, ["plugins"], environment: environment, timeout: 60)
        #expect(listing.stdout.contains("refused:\n  \(untrustedCopy): untrusted: \(untrustedCopy) \(Self.untrustedFileRule)\n"),
                "\(listing.stdout)")
        let start = try ProcessRunner.run(PackagePaths.vpcrouter, VPCRouterUnderTest.location + [
            "-p", "\(freeLoopbackPort())", "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142",
            "-H", "tcp", "--state-dir", drainDirectory.appendingPathComponent("state").path,
        ], environment: environment, timeout: 30)
        #expect(start.status == 1)
        #expect(start.stderr == "vpcrouter: -H tcp: plugin file refused: \(untrustedCopy): untrusted: \(untrustedCopy) \(Self.untrustedFileRule)\n")
    }

    @Test func theOverrideStartsWithTheUntrustedFileAndWarns() async throws {
        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch([
            "-p", "\(port)", "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142",
            "-H", "tcp", "--tcp_check_port", "9", "--plugin-dir", openDirectory.path, "--allow-untrusted-plugins",
            "--state-dir", drainDirectory.appendingPathComponent("state").path,
        ])
        #expect(await daemon.outputAppears("HTTP server listening"), "\(daemon.output)")
        let output = daemon.output
        #expect(output.contains("WARNING vpcrouter: loaded an untrusted plugin file (--allow-untrusted-plugins) plugin.file=\(untrustedCopy) "
            + "plugin.name=tcp reason=\"\(untrustedCopy) \(Self.untrustedFileRule)\""), "\(output)")
        #expect(output.contains("plugin selected plugin.file=\(untrustedCopy) plugin.kind=health plugin.name=tcp"), "\(output)")
        let plugins = try #require(try await HTTPProbe.request("http://127.0.0.1:\(port)/plugins").json as? [String: Any])
        #expect((plugins["tcp"] as? [String: Any])?["loaded_from"] as? String == untrustedCopy)
        #expect(await daemon.stopped() == 0)
    }

    @Test func aCollisionSaysWhichFileWonAndWhyInTheListingTheLogAndPlugins() async throws {
        let copies = try trustedCopyDirectory()
        let copy = copies.appendingPathComponent("libTCPHealth.so").path
        let why = "\(copies.path) (--plugin-dir) is searched before \(PackagePaths.products.path) (the vpcrouter executable's directory)"

        let listing = try vpcrouter(["plugins", "--plugin-dir", copies.path])
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("tcp  kind=health version=1.0.0 abi=1.1 file=\(copy)"), "\(listing.stdout)")
        #expect(listing.stdout.contains("name collisions (the first file found wins):\n  tcp: using \(copy), not \(builtInTCP): \(why)\n"),
                "\(listing.stdout)")

        let port = freeLoopbackPort()
        let daemon = try VPCRouterUnderTest.launch([
            "-p", "\(port)", "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142",
            "-H", "tcp", "--tcp_check_port", "9", "--plugin-dir", copies.path,
            "--state-dir", drainDirectory.appendingPathComponent("state").path,
        ])
        #expect(await daemon.outputAppears("HTTP server listening"), "\(daemon.output)")
        let output = daemon.output
        #expect(output.contains("WARNING vpcrouter: two files provide one plugin name plugin.file=\(copy) plugin.ignored_file=\(builtInTCP) "
            + "plugin.name=tcp reason=\"\(why)\""), "\(output)")
        let fixedconf = PackagePaths.products.appendingPathComponent("libFixedConfMode.so").path
        #expect(output.contains("plugin selected plugin.file=\(fixedconf) plugin.kind=mode plugin.name=fixedconf"), "\(output)")
        #expect(output.contains("plugin selected plugin.file=\(copy) plugin.kind=health plugin.name=tcp"), "\(output)")
        #expect(!output.contains("plugin file refused"), "a collision is reported once, as a collision")
        let plugins = try #require(try await HTTPProbe.request("http://127.0.0.1:\(port)/plugins").json as? [String: Any])
        #expect((plugins["tcp"] as? [String: Any])?["loaded_from"] as? String == copy)
        #expect((plugins["fixedconf"] as? [String: Any])?["loaded_from"] as? String == fixedconf)
        #expect(await daemon.stopped() == 0)
    }

    @Test func aPluginWhoseTwoNamesDisagreeIsRefusedShowingBoth() throws {
        let directory = try PackagePaths.temporaryDirectory("vpcr-names")
        chmod(directory.path, 0o755)
        let source = PackagePaths.root.appendingPathComponent("Tests/PluginHostTests/Fixtures/fixture_plugin.c").path
        let output = directory.appendingPathComponent("libfx-names.so").path
        let build = try ProcessRunner.shell("cc -std=c11 -shared -fPIC -O1 -fvisibility=hidden -I '\(PackagePaths.abiHeaderDirectory)' "
            + "-DFIXTURE_NAME='\"fx-names\"' -DFIXTURE_DESCRIPTOR_NAME='\"fx-other\"' -o '\(output)' '\(source)'")
        #expect(build.status == 0, "\(build.stderr)")
        let message = "plugin 'fx-names': its descriptor names it 'fx-other' but its identification block (vpcr_plugin_magic) "
            + "names it 'fx-names'; the two names must be the same"
        let listing = try vpcrouter(["plugins", "--plugin-dir", directory.path])
        #expect(listing.stdout.contains("refused:\n  \(output): \(message)\n"), "\(listing.stdout)")
        let start = try VPCRouterUnderTest.run([
            "-m", "fx-names", "-H", "tcp", "--plugin-dir", directory.path,
            "--state-dir", drainDirectory.appendingPathComponent("state").path,
        ], timeout: 30)
        #expect(start.status == 2)
        #expect(start.stderr.contains("-m fx-names: no mode plugin named 'fx-names'"), "\(start.stderr)")
        #expect(start.stderr.contains("; refused: libfx-names.so: \(message)\n"), "\(start.stderr)")
    }
}
