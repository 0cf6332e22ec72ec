// configfile: a mode plugin that reads the route spec from a file and follows every change.
//
//   vpcrouter -m configfile -f /etc/vpcrouter/spec.json
//
// Changes are found with inotify on the file's directory (and on the directory of the file a
// symlink points at), so in-place writes, an atomic rename over the file, a Kubernetes
// ConfigMap-style `..data` symlink swap, deletion and re-creation are all seen. Events within
// a short window coalesce into one read; a read whose content did not change submits nothing.
// A file that is missing or not a valid spec is logged with the reason and the last good spec
// stays in force.
import Dispatch
import FoundationEssentials
import Glibc
import PluginABI
import PluginKit

private let plugin = PluginExport(
    kind: VPCR_KIND_MODE, name: "configfile", version: "1.0.0", summary: "route specs from a watched JSON file",
    options: [
        OptionDeclaration("file", type: VPCR_OPT_PATH, valueName: "FILE",
                          help: "the route spec file (JSON); every change to it is applied", required: true, shortName: "f"),
        OptionDeclaration("configfile_settle", type: VPCR_OPT_FLOAT, valueName: "SECONDS", defaultValue: "0.1",
                          help: "how long changes must be quiet before the file is read", min: 0, max: 10),
    ],
    create: ConfigFileWatcher.create)

/// One watched file: its reader thread, its last content and its counters.
private final class ConfigFileWatcher: PluginInstance, @unchecked Sendable {
    let context: OpaquePointer?
    let path: String
    let settle: Double
    private let lock = PluginLock()
    private var lastContent: [UInt8]?
    private var generation: UInt64 = 0
    private var accepted = 0
    private var refused = 0
    private var lastProblem = ""
    private var unreadable = false
    private var stopPipe: [Int32] = [-1, -1]
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    init(context: OpaquePointer?, path: String, settle: Double) {
        self.context = context
        self.path = path
        self.settle = settle
    }

    func log(_ level: vpcr_log_level, _ message: String, _ fields: [(String, String)]) {
        hostLog(context, level, message, fields: [("config.file", path)] + fields)
    }

    static func create(context: OpaquePointer?, options: OptionValues) -> Result<ConfigFileWatcher, PluginFailure> {
        guard let file = options["file"] else { return .failure(PluginFailure(config: "-f/--file is required")) }
        let settle = options["configfile_settle"].flatMap(Double.init) ?? 0.1
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        let watcher = ConfigFileWatcher(context: context, path: absolute, settle: settle)
        if !FileManager.default.fileExists(atPath: absolute) {
            watcher.log(VPCR_LOG_WARNING, "config file does not exist yet; waiting for it", [])
        }
        return .success(watcher)
    }

    /// Reads the file and submits it when its content changed since the last read.
    func readAndSubmit() {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = String(cString: strerror(errno))
            let firstTime: Bool = lock.withLock {
                defer { unreadable = true; lastContent = nil }
                lastProblem = "cannot read: \(reason)"
                return !unreadable
            }
            // Said once per outage, not on every re-check.
            if firstTime {
                log(VPCR_LOG_WARNING, "config file cannot be read; the last good spec stays in force", [("reason", reason)])
            }
            return
        }
        let content = [UInt8](data)
        let next: UInt64? = lock.withLock {
            unreadable = false
            if content == lastContent { return nil }
            lastContent = content
            generation += 1
            return generation
        }
        guard let next else { return }
        var error = vpcr_error()
        let status = content.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                hostServices!.pointee.submit_route_spec_json(context, text.baseAddress, UInt64(text.count), next, &error)
            }
        }
        let message = error.text
        lock.withLock {
            if status == VPCR_OK { accepted += 1 } else { refused += 1; lastProblem = message }
        }
        if status != VPCR_OK {
            log(VPCR_LOG_ERROR, "config file ignored; the last good spec stays in force", [("reason", message)])
        }
    }

    func start() throws(PluginFailure) {
        guard pipe(&stopPipe) == 0 else { throw ioFailure("cannot create a pipe: \(String(cString: strerror(errno)))") }
        let inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else { throw ioFailure("cannot start inotify: \(String(cString: strerror(errno)))") }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY)
        var directories = [URL(fileURLWithPath: path).deletingLastPathComponent().path]
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent().path
        if !directories.contains(resolved) { directories.append(resolved) }
        var watched = 0
        for directory in directories where inotify_add_watch(inotify, directory, mask) >= 0 { watched += 1 }
        guard watched > 0 else {
            close(inotify)
            throw ioFailure("cannot watch the directory of \(path): \(String(cString: strerror(errno)))")
        }
        readAndSubmit()
        running = true
        PluginThread.detach(name: "configfile") { [self] in
            watch(inotify)
            close(inotify)
            finished.signal()
        }
    }

    private func ioFailure(_ message: String) -> PluginFailure {
        PluginFailure(code: vpcr_status(VPCR_E_IO), message: message)
    }

    /// Waits for events and reads the file `settle` seconds after the first one, so a burst of
    /// writes coalesces. The window is not extended by later events: other files in a busy
    /// directory (a log written beside the spec) would otherwise hold a change back for as long as
    /// they keep changing. Also re-reads every few seconds, so nothing is missed even if the
    /// directory itself is replaced.
    private func watch(_ inotify: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var pendingSince: Double?
        var lastRead = Date().timeIntervalSince1970
        while true {
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)]
            let remaining = pendingSince.map { settle - (Date().timeIntervalSince1970 - $0) } ?? 1
            _ = poll(&fds, 2, max(1, Int32(remaining * 1000)))
            if fds[1].revents != 0 { return }
            let now = Date().timeIntervalSince1970
            if fds[0].revents != 0 {
                while read(inotify, &buffer, buffer.count) > 0 {}
                pendingSince = pendingSince ?? now
            }
            if let since = pendingSince, now - since >= settle {
                pendingSince = nil
                lastRead = now
                readAndSubmit()
            } else if pendingSince == nil, now - lastRead >= 5 {
                lastRead = now
                readAndSubmit()
            }
        }
    }

    func stop(deadlineNanoseconds: UInt64) {
        guard running else { return }
        running = false
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
        finished.wait()
        close(stopPipe[0])
        close(stopPipe[1])
    }

    func reportInfo(to sink: OpaquePointer) {
        let (accepted, refused, problem) = lock.withLock { (self.accepted, self.refused, lastProblem) }
        hostInfoAdd(sink, "params", "file", path)
        hostInfoAdd(sink, "stats", "specs_accepted", String(accepted))
        hostInfoAdd(sink, "stats", "specs_refused", String(refused))
        if !problem.isEmpty { hostInfoAdd(sink, "stats", "last_problem", problem) }
    }
}


// The two exported symbols must be in this library itself; PluginKit does the work.
@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafeRawPointer { plugin.magic }
@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? { plugin.entry(host) }
