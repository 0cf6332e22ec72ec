import ArgumentParser
import FoundationEssentials

/// `vpcrouter plan -m MODE [-H HEALTH] [options]`: one observation of the VPC and one round of
/// health checks, planned as the daemon would, printed, and nothing written.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the route changes vpcrouter would make now, without making them.",
        discussion: """
            Takes the same options as the daemon. Waits for the mode plugin's route spec, one round \
            of health checks and one read of the VPC, prints the plan and exits. No HTTP server is \
            started, so use a mode that reads its spec (configfile, fixedconf, ...), not http.
            """)

    @OptionGroup var core: CoreOptions

    @Flag(name: .customLong("json"), help: "Print the plan as JSON.")
    var json = false

    @Option(name: .customLong("plan-timeout"), help: "Seconds to wait for a spec, a health round and a VPC read.")
    var timeout: Double = 30

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var pluginArguments: [String] = []

    func run() async throws {
        guard timeout > 0, timeout.isFinite else { throw UsageError("--plan-timeout must be a positive number of seconds") }
        let launch = try DaemonLaunch.prepare(core: core, pluginArguments: pluginArguments)
        let daemon = Daemon(options: launch.options, selection: launch.selection, logger: launch.logger, logSink: launch.logSink,
                            purpose: .planOnce(timeLimit: .milliseconds(Int64(timeout * 1000))))
        guard let plan = try await daemon.run() else { throw FatalError("stopped before a plan was made") }
        print(json ? PlanReport.json(plan) : PlanReport.table(plan))
    }
}
