import Foundation
import Testing
import TestSupport

/// The vpcrouter binary as an operator uses it: plugin discovery, help, usage errors, exit codes.
@Suite(.timeLimit(.minutes(15))) struct CommandLineTests {
    let pluginDirectory: URL

    init() throws {
        pluginDirectory = try PackagePaths.temporaryDirectory("vpcr-cli")
        _ = try ExamplePlugins.buildDrainfile(into: pluginDirectory)
        try Data("not a plugin".utf8).write(to: pluginDirectory.appendingPathComponent("libbroken.so"))
    }

    func vpcrouter(_ arguments: [String]) throws -> ProcessResult {
        try VPCRouterUnderTest.run(arguments, location: [], timeout: 60)
    }

    @Test func pluginsListsEveryPluginWithKindVersionABIAndFile() throws {
        let result = try vpcrouter(["plugins", "--plugin-dir", pluginDirectory.path])
        #expect(result.status == 0)
        let fixedconf = PackagePaths.products.appendingPathComponent("libFixedConfMode.so").resolvingSymlinksInPath().path
        #expect(result.stdout.contains("fixedconf  kind=mode version=1.0.0 abi=1.1 file="))
        #expect(result.stdout.contains("libFixedConfMode.so") || result.stdout.contains(fixedconf))
        #expect(result.stdout.contains("drainfile  kind=health version=1.0.0 abi=1.1 file=\(pluginDirectory.path)/libdrainfile.so"))
        #expect(result.stdout.contains("--drain_dir <DIR>"))
        #expect(result.stdout.contains("refused:\n  \(pluginDirectory.path)/libbroken.so: not an ELF shared object"))
    }

    @Test func helpWithSelectedPluginsShowsTheirOptions() throws {
        let result = try vpcrouter(["--help", "-m", "fixedconf", "-H", "drainfile", "--plugin-dir", pluginDirectory.path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--route_recheck_interval"))
        #expect(result.stdout.contains("--fixed_cidr <CIDR>"))
        #expect(result.stdout.contains("--drain_dir <DIR>"))
    }

    @Test func helpUnderMultiShowsTheChildrensOptions() throws {
        let result = try vpcrouter(["--help", "-m", "fixedconf", "-H", "multi", "--multi_plugins", "icmpecho:tcp"])
        #expect(result.status == 0)
        for option in ["--multi_plugins", "--icmp_check_interval", "--tcp_check_port", "--fixed_cidr"] {
            #expect(result.stdout.contains(option), "\(option) in: \(result.stdout)")
        }
    }

    @Test func planHelpIsPlansOwn() throws {
        let result = try vpcrouter(["plan", "--help", "-m", "fixedconf"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: vpcrouter plan"), "\(result.stdout)")
        #expect(result.stdout.contains("--json") && result.stdout.contains("--plan-timeout"), "\(result.stdout)")
        #expect(result.stdout.contains("--fixed_cidr <CIDR>"), "the selected plugins' options too")
    }

    @Test func rootHelpNamesTheSubcommands() throws {
        let result = try vpcrouter(["--help"])
        #expect(result.status == 0)
        let section = result.stdout.components(separatedBy: "SUBCOMMANDS:").last ?? ""
        for command in ["run", "plan", "plugins", "check-plugin"] {
            #expect(section.contains("\n  \(command) "), "\(command) in: \(result.stdout)")
        }
    }

    @Test(arguments: [
        (["-m", "nosuch"], "no mode plugin named 'nosuch' in "),
        (["-m", "fixedconf", "--port", "70000"], "invalid listen port '70000' for the built-in HTTP server (1-65535)"),
        (["-m", "fixedconf", "--route_recheck_interval", "3"], "--route_recheck_interval must be either 0 (off) or at least 5 seconds; got 3"),
        (["-m", "fixedconf", "-a", "example.com"], "-a/--address: not a valid IPv4 address or 'localhost' ('example.com')"),
        (["-m", "fixedconf", "--ignore_routes", "10.1.0.0/16,"], "--ignore_routes: an empty item in '10.1.0.0/16,'"),
        (["-m", "fixedconf", "--ignore-routes", "10.1.1"], "--ignore_routes: '10.1.1' is not valid: expected four dotted decimal numbers"),
        ([], "Missing expected argument '--mode <mode>'"),
        (["-m", "fixedconf", "-H", "drainfile", "--fixed_cidr", "10.1.0.1/16", "--fixed_hosts", "10.0.0.1", "--drain_dir", "/tmp"],
         "--fixed_cidr '10.1.0.1/16': not a valid CIDR: host bits are set; did you mean 10.1.0.0/16?"),
        (["-m", "fixedconf", "-H", "drainfile", "--fixed_cidr", "10.1.0.0/16", "--drain_dir", "/tmp"],
         "--fixed_hosts is required by the fixedconf plugin"),
        (["-m", "fixedconf", "-H", "drainfile", "--fixed_cidr", "10.1.0.0/16", "--fixed_hosts", "10.0.0.1", "--drain_dir", "/tmp", "--bogus"],
         "unknown option '--bogus'"),
        (["-m", "fixedconf", "-H", "fixedconf"], "-H fixedconf: 'fixedconf' is a mode plugin"),
    ])
    func usageErrorsExit2WithOneLine(arguments: [String], message: String) throws {
        let result = try vpcrouter(arguments + ["--plugin-dir", pluginDirectory.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }

    @Test func checkPluginSaysWhy() throws {
        let good = try vpcrouter(["check-plugin", pluginDirectory.appendingPathComponent("libdrainfile.so").path])
        #expect(good.status == 0)
        #expect(good.stdout.hasPrefix("accepted: drainfile kind=health version=1.0.0 abi=1.1"))
        let bad = try vpcrouter(["check-plugin", pluginDirectory.appendingPathComponent("libbroken.so").path])
        #expect(bad.status == 1)
        #expect(bad.stdout == "refused: libbroken.so: not an ELF shared object\n")
    }
}

/// Start and stop: plugins created and started in order, stopped in reverse, exit codes.
@Suite(.timeLimit(.minutes(5))) struct DaemonLifecycleTests {
    let pluginDirectory: URL
    let drainDirectory: URL

    init() throws {
        pluginDirectory = try PackagePaths.temporaryDirectory("vpcr-run")
        drainDirectory = try PackagePaths.temporaryDirectory("vpcr-drain")
        _ = try ExamplePlugins.buildDrainfile(into: pluginDirectory)
    }

    @Test func runsUntilSIGTERMAndExitsZero() throws {
        let logfile = pluginDirectory.appendingPathComponent("vpcrouter.log")
        let daemon = try VPCRouterUnderTest.launch([
            "-p", "\(freeLoopbackPort())",
            "-m", "fixedconf", "--fixed-cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142:10.33.30.22",
            "-H", "drainfile", "--drain-dir", drainDirectory.path, "--plugin-dir", pluginDirectory.path,
            "--route-recheck-interval", "0", "-l", logfile.path, "--verbose",
        ])
        let log = { (try? String(contentsOf: logfile, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(30)
        while !log().contains("route spec accepted") && daemon.process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(log().contains("route spec accepted plugin.name=fixedconf spec.generation=1 spec.routers=2 spec.routes=1"), "\(log())\(daemon.output)")
        #expect(log().contains("watching for drained routers drain_dir=\(drainDirectory.path) plugin.name=drainfile"))
        #expect(daemon.stop(signal: SIGTERM) == 0)
        let text = log()
        let healthStopped = text.range(of: "plugin stopped plugin.name=drainfile")
        let modeStopped = text.range(of: "plugin stopped plugin.name=fixedconf")
        #expect(healthStopped != nil && modeStopped != nil)
        if let healthStopped, let modeStopped { #expect(healthStopped.lowerBound < modeStopped.lowerBound, "reverse order") }
        #expect(text.contains("vpcrouter stopped"))
    }

    @Test func sigintAlsoStopsCleanly() throws {
        let daemon = try VPCRouterUnderTest.launch([
            "-p", "\(freeLoopbackPort())",
            "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142",
            "-H", "drainfile", "--drain_dir", drainDirectory.path, "--plugin-dir", pluginDirectory.path,
        ])
        #expect(daemon.waitForOutput(containing: "route spec accepted"))
        #expect(daemon.stop(signal: SIGINT) == 0)
    }

    /// A value a plugin refuses is a command-line problem like any other: exit 2, one line.
    @Test func aPluginThatRefusesAnOptionValueStopsStartUpWithExit2() throws {
        let result = try VPCRouterUnderTest.run([
            "-p", "\(freeLoopbackPort())",
            "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142:10.1.1",
            "-H", "drainfile", "--drain_dir", drainDirectory.path, "--plugin-dir", pluginDirectory.path,
        ], timeout: 30)
        #expect(result.status == 2)
        #expect(result.stderr == "vpcrouter: fixedconf: --fixed_hosts: '10.1.1' is not a valid IPv4 address (expected a.b.c.d, colon-separated)\n",
                "\(result.stderr)")
        let health = try VPCRouterUnderTest.run([
            "-p", "\(freeLoopbackPort())",
            "-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142",
            "-H", "drainfile", "--drain_dir", "/nonexistent/drain", "--plugin-dir", pluginDirectory.path,
        ], timeout: 30)
        #expect(health.status == 2)
        #expect(health.stderr.hasPrefix("vpcrouter: drainfile: --drain_dir /nonexistent/drain is not a readable directory"), "\(health.stderr)")
        #expect(health.stderr.split(separator: "\n").count == 1, "one line: \(health.stderr)")
        #expect(!health.stderr.contains("plugin started"), "nothing starts when a plugin cannot be created")
    }

    @Test func anOutOfTreeSwiftPluginLoadsAndItsSpecIsValidated() async throws {
        let scratch = try PackagePaths.temporaryDirectory("vpcr-swift-example")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let library = try await ExamplePlugins.buildSwiftModePlugin(scratch: scratch)
        try FileManager.default.copyItem(atPath: library, toPath: pluginDirectory.appendingPathComponent("libStaticRoutesMode.so").path)
        let daemon = try VPCRouterUnderTest.launch([
            "-p", "\(freeLoopbackPort())",
            "-m", "staticroutes", "--static_routes", "10.55.16.0/24=10.33.20.142,10.33.30.22;10.66.0.0/16=",
            "-H", "drainfile", "--drain_dir", drainDirectory.path, "--plugin-dir", pluginDirectory.path,
        ])
        #expect(daemon.waitForOutput(containing: "route spec accepted"))
        #expect(daemon.output.contains("plugin.name=staticroutes spec.generation=1 spec.routers=2 spec.routes=2"), "\(daemon.output)")
        #expect(daemon.stop() == 0)
        let refused = try VPCRouterUnderTest.run([
            "-p", "\(freeLoopbackPort())",
            "-m", "staticroutes", "--static_routes", "10.55.16.1/24=10.33.20.142",
            "-H", "drainfile", "--drain_dir", drainDirectory.path, "--plugin-dir", pluginDirectory.path,
        ], timeout: 30)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("plugin staticroutes: start failed: route spec key '10.55.16.1/24' is not a valid CIDR: host bits are set; did you mean 10.55.16.0/24?"), "\(refused.stderr)")
    }
}
