import ArgumentParser
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
    /// Synchronous on purpose: the command runs on the global executor and ends the process itself,
    /// so nothing ever waits for the main actor. With an async main, a daemon without full
    /// Foundation parks its main thread in dispatch_main() and resumes the command on the main
    /// actor; once a plugin that links Foundation had been opened, a SIGTERM logged "vpcrouter
    /// stopped" and that resumption never came, so exit() was never called (seen once in about
    /// seventy runs; the main queue is the suspect, not proven).
    static func main() {
        MallocArenas.limitToOneUnlessOperatorChose()
        let arguments = NegativeNumberValues.attached(Array(CommandLine.arguments.dropFirst()))
        Task.detached { await run(arguments) }
        while true { pause() }
    }

    static func run(_ arguments: [String]) async -> Never {
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
