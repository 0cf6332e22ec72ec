import Logging
import ServiceLifecycle
import UnixSignals

/// Reopens the log file on SIGHUP, as logrotate expects (`postrotate kill -HUP`): after the file
/// was renamed, new lines go to a new file at the original path.
struct LogReopenService: Service {
    let sink: LineLogHandler.Sink
    let hangUps: UnixSignalsSequence
    let logger: Logger

    func run() async {
        for await _ in hangUps.cancelOnGracefulShutdown() {
            guard let path = sink.path else {
                logger.info("SIGHUP received; logging to stderr, nothing to reopen")
                continue
            }
            do {
                try sink.reopen()
                logger.notice("log file reopened", metadata: ["log.file": "\(path)"])
            } catch {
                logger.error("log file cannot be reopened; logging goes on into the file already open",
                             metadata: ["log.file": "\(path)", "reason": "\(error.message)"])
            }
        }
    }
}
