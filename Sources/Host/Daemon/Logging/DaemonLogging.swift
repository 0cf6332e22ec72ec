import Logging

/// Sets up swift-log once for the process: `-l FILE` appends, `-l -` is stderr, `--verbose` is debug.
enum DaemonLogging {
    /// The daemon's logger, and the sink SIGHUP reopens.
    static func bootstrap(logfile: String, verbose: Bool) throws(FatalError) -> (Logger, LineLogHandler.Sink) {
        let sink = logfile == "-" ? LineLogHandler.Sink.standardError : try LineLogHandler.Sink(path: logfile)
        let level: Logger.Level = verbose ? .debug : .info
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, sink: sink, logLevel: level)
        }
        return (Logger(label: "vpcrouter"), sink)
    }
}
