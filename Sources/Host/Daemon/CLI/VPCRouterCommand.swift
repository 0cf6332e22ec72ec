import ArgumentParser
// Full Foundation stays linked (though no host code uses it) while any plugin the daemon may
// load imports it: loaded later by dlopen() from a concurrency thread, Foundation initialises on
// that thread and exit() then never returns (seen with the etcd mode plugin). Drop this import
// once no built-in plugin imports Foundation.
import Foundation
import Glibc
import PluginHost

/// The root command: `vpcrouter -m MODE ...` runs the daemon; `plan` shows what it would change;
/// `plugins` and `check-plugin` inspect.
struct VPCRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vpcrouter",
        abstract: "Keep Amazon VPC route tables pointing at healthy router instances.",
        version: PluginABIVersion.hostVersion,
        subcommands: [RunCommand.self, PlanCommand.self, PluginsCommand.self, CheckPluginCommand.self],
        defaultSubcommand: RunCommand.self)
}

@main
enum VPCRouterMain {
    static func main() async {
        let arguments = NegativeNumberValues.attached(Array(CommandLine.arguments.dropFirst()))
        if let help = PluginAwareHelp.text(for: arguments) {
            print(help)
            exit(0)
        }
        do {
            var command = try VPCRouterCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let error as UsageError {
            writeToStandardError("vpcrouter: \(error.message)\n")
            exit(2)
        } catch let error as FatalError {
            writeToStandardError("vpcrouter: \(error.message)\n")
            exit(1)
        } catch {
            let code = VPCRouterCommand.exitCode(for: error)
            if code == .success {
                print(VPCRouterCommand.fullMessage(for: error))
                exit(0)
            }
            let message = VPCRouterCommand.message(for: error)
            if code == .validationFailure {
                // ArgumentParser's own usage errors: one line, exit 2 as the original's argparse.
                writeToStandardError("vpcrouter: \(message)\n")
                exit(2)
            }
            if !message.isEmpty { writeToStandardError("vpcrouter: \(message)\n") }
            exit(code.rawValue)
        }
    }
}

/// One unbuffered write(2), as FileHandle.standardError.write did.
private func writeToStandardError(_ text: String) {
    Array(text.utf8).withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
