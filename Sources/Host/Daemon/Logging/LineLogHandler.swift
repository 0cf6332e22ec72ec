import Glibc
import Logging
import RouteModel
import Runtime
import Synchronization

/// Writes one line per log event: time, level, label, message and sorted key=value metadata.
/// `-l FILE` appends to the file; `-l -` writes to stderr.
struct LineLogHandler: LogHandler {
    final class Sink: Sendable {
        private let file = Mutex<FileOutput>(FileOutput(handle: fdopen(2, "a")))

        struct FileOutput: @unchecked Sendable {
            var handle: UnsafeMutablePointer<FILE>?
        }

        static let standardError = Sink()

        /// The log file's path; nil for stderr.
        let path: String?

        init() {
            path = nil
        }

        init(path: String) throws(FatalError) {
            self.path = path
            let handle = try Self.open(path)
            file.withLock { $0.handle = handle }
        }

        private static func open(_ path: String) throws(FatalError) -> UnsafeMutablePointer<FILE> {
            guard let handle = fopen(path, "a") else {
                throw FatalError("cannot open log file '\(path)': \(String(cString: strerror(errno)))")
            }
            setvbuf(handle, nil, _IOLBF, 0)
            return handle
        }

        /// Opens the path again and switches to it (after logrotate moved the file away). When the
        /// path cannot be opened, logging goes on into the file already open and the error is returned.
        func reopen() throws(FatalError) {
            guard let path else { return }
            let handle = try Self.open(path)
            let old = file.withLock { output in
                defer { output.handle = handle }
                return output.handle
            }
            if let old { fclose(old) }
        }

        func write(_ line: String) {
            file.withLock { output in
                guard let handle = output.handle else { return }
                fputs(line, handle)
                fflush(handle)
            }
        }
    }

    let label: String
    let sink: Sink
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = Self.timestamp() + " " + event.level.rawValue.uppercased() + " " + label + ": " + event.message.description
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quoted(merged[key]!.description))"
        }
        sink.write(line + "\n")
    }

    static func quoted(_ value: String) -> String {
        if !value.isEmpty, !value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) { return value }
        var escaped = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped.append(contentsOf: "\\\\".unicodeScalars)
            case "\"": escaped.append(contentsOf: "\\\"".unicodeScalars)
            case "\n": escaped.append(contentsOf: "\\n".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return "\"" + String(escaped) + "\""
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UTCTimestamp.string(millisecondsSince1970: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec / 1_000_000))
    }
}
