import Foundation
import Testing
import TestSupport

/// A user other than root trying vpcrouter without --state-dir: it keeps its ledger in a directory
/// of its own, and when even that cannot be used, the message names the option that fixes it.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "needs root to run the daemon as another user"))
struct StateDirectoryTests {
    /// The daemon as user nobody (setpriv), with `environment` replacing the state-related variables.
    func asNobody(_ environment: [String: String]) -> (String, [String], [String: String]) {
        var variables = VPCRouterUnderTest.environment()
        for name in ["HOME", "XDG_STATE_HOME", "STATE_DIRECTORY"] { variables.removeValue(forKey: name) }
        variables.merge(environment) { $1 }
        let arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", PackagePaths.vpcrouter] + VPCRouterUnderTest.location
            + ["-m", "fixedconf", "--fixed_cidr", "10.55.0.0/16", "--fixed_hosts", "10.33.20.142", "-H", "tcp", "--tcp_check_port", "9",
               "-p", "\(freeLoopbackPort())"]
        return ("/usr/bin/setpriv", arguments, variables)
    }

    @Test func aNormalUserGetsAStateDirectoryOfItsOwn() throws {
        let home = try PackagePaths.temporaryDirectory("vpcr-nobody-home")
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(chown(home.path, 65534, 65534) == 0)
        let (executable, arguments, environment) = asNobody(["HOME": home.path])
        let daemon = try DaemonProcess(executable, arguments, environment: environment)
        #expect(daemon.waitForOutput(containing: "ownership ledger loaded"), "\(daemon.output)")
        #expect(daemon.output.contains("state.dir=\(home.path)/.local/state/vpcrouter"), "\(daemon.output)")
        #expect(daemon.stop() == 0)
    }

    @Test func anUnusableDefaultNamesTheOptionThatFixesIt() throws {
        // No home: the default falls back to /var/lib/vpcrouter, which nobody may not write.
        let (executable, arguments, environment) = asNobody([:])
        let result = try ProcessRunner.run(executable, arguments, environment: environment, timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("/var/lib/vpcrouter"), "\(result.stderr)")
        #expect(result.stderr.contains("choose another with --state-dir DIR"), "\(result.stderr)")
    }
}
