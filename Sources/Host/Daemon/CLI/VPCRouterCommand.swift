import ArgumentParser
import Foundation
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
            FileHandle.standardError.write(Data("vpcrouter: \(error.message)\n".utf8))
            exit(2)
        } catch let error as FatalError {
            FileHandle.standardError.write(Data("vpcrouter: \(error.message)\n".utf8))
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
                FileHandle.standardError.write(Data("vpcrouter: \(message)\n".utf8))
                exit(2)
            }
            if !message.isEmpty { FileHandle.standardError.write(Data("vpcrouter: \(message)\n".utf8)) }
            exit(code.rawValue)
        }
    }
}
