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
import Foundation
import Glibc
import PluginABI

private func cString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

private func pinned<Value>(_ value: Value) -> UnsafeMutablePointer<Value> {
    let pointer = UnsafeMutablePointer<Value>.allocate(capacity: 1)
    pointer.initialize(to: value)
    return pointer
}

nonisolated(unsafe) private var host: UnsafePointer<vpcr_host_api_v1>?

nonisolated(unsafe) private let identity = pinned(vpcr_magic(
    magic: VPCR_MAGIC, struct_size: UInt32(MemoryLayout<vpcr_magic>.size),
    abi_major: UInt32(VPCR_ABI_MAJOR), abi_minor: UInt32(VPCR_ABI_MINOR),
    name: cString("configfile"), version: cString("1.0.0")))

nonisolated(unsafe) private let options: UnsafeMutablePointer<vpcr_option_decl> = {
    let table = UnsafeMutablePointer<vpcr_option_decl>.allocate(capacity: 2)
    table[0] = vpcr_option_decl(
        struct_size: UInt32(MemoryLayout<vpcr_option_decl>.size), flags: UInt32(VPCR_OPT_F_REQUIRED),
        type: VPCR_OPT_PATH, short_name: Int32(UInt8(ascii: "f")), long_name: cString("file"), value_name: cString("FILE"),
        default_value: nil, help: cString("the route spec file (JSON); every change to it is applied"), min: 1, max: 0)
    table[1] = vpcr_option_decl(
        struct_size: UInt32(MemoryLayout<vpcr_option_decl>.size), flags: 0,
        type: VPCR_OPT_FLOAT, short_name: 0, long_name: cString("configfile_settle"), value_name: cString("SECONDS"),
        default_value: cString("0.1"), help: cString("how long changes must be quiet before the file is read"),
        min: 0, max: 10)
    return table
}()

/// One watched file: its reader thread, its last content and its counters.
private final class ConfigFileWatcher: @unchecked Sendable {
    let context: OpaquePointer?
    let path: String
    let settle: Double
    private let lock = NSLock()
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
        let all = [("config.file", path)] + fields
        let keys = all.map { strdup($0.0) }
        let values = all.map { strdup($0.1) }
        defer { keys.forEach { free($0) }; values.forEach { free($0) } }
        let cFields = zip(keys, values).map { vpcr_field(key: $0.0, value: $0.1) }
        cFields.withUnsafeBufferPointer { buffer in
            host?.pointee.log(context, level, message, buffer.baseAddress, UInt32(buffer.count))
        }
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
                host!.pointee.submit_route_spec_json(context, text.baseAddress, UInt64(text.count), next, &error)
            }
        }
        let message = withUnsafeBytes(of: &error.message) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
        lock.withLock {
            if status == VPCR_OK { accepted += 1 } else { refused += 1; lastProblem = message }
        }
        if status != VPCR_OK {
            log(VPCR_LOG_ERROR, "config file ignored; the last good spec stays in force", [("reason", message)])
        }
    }

    func start() -> String? {
        guard pipe(&stopPipe) == 0 else { return "cannot create a pipe: \(String(cString: strerror(errno)))" }
        let inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else { return "cannot start inotify: \(String(cString: strerror(errno)))" }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY)
        var directories = [URL(fileURLWithPath: path).deletingLastPathComponent().path]
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent().path
        if !directories.contains(resolved) { directories.append(resolved) }
        var watched = 0
        for directory in directories where inotify_add_watch(inotify, directory, mask) >= 0 { watched += 1 }
        guard watched > 0 else {
            close(inotify)
            return "cannot watch the directory of \(path): \(String(cString: strerror(errno)))"
        }
        readAndSubmit()
        running = true
        let thread = Thread { [self] in
            watch(inotify)
            close(inotify)
            finished.signal()
        }
        thread.name = "configfile"
        thread.start()
        return nil
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

    func stop() {
        guard running else { return }
        running = false
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
        finished.wait()
        close(stopPipe[0])
        close(stopPipe[1])
    }

    func report(_ sink: OpaquePointer?) {
        let (accepted, refused, problem) = lock.withLock { (self.accepted, self.refused, lastProblem) }
        host?.pointee.info_add(sink, "params", "file", path)
        host?.pointee.info_add(sink, "stats", "specs_accepted", String(accepted))
        host?.pointee.info_add(sink, "stats", "specs_refused", String(refused))
        if !problem.isEmpty { host?.pointee.info_add(sink, "stats", "last_problem", problem) }
    }
}


nonisolated(unsafe) private let descriptor = pinned(vpcr_plugin_v1(
    struct_size: UInt32(MemoryLayout<vpcr_plugin_v1>.size), min_host_abi_minor: 0, kind: VPCR_KIND_MODE, flags: 0,
    name: cString("configfile"), version: cString("1.0.0"), summary: cString("route specs from a watched JSON file"),
    options: UnsafePointer(options), option_count: 2, option_stride: UInt32(MemoryLayout<vpcr_option_decl>.stride),
    create: { context, values, count, out, error in
        var file: String?
        var settle = 0.1
        for index in 0..<Int(count) {
            guard let name = values?[index].long_name, let value = values?[index].value else { continue }
            switch String(cString: name) {
            case "file": file = String(cString: value)
            case "configfile_settle": settle = Double(String(cString: value)) ?? settle
            default: break
            }
        }
        guard let file else { return vpcr_fail(error, vpcr_status(VPCR_E_CONFIG), "-f/--file is required") }
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        let watcher = ConfigFileWatcher(context: context, path: absolute, settle: settle)
        if !FileManager.default.fileExists(atPath: absolute) {
            watcher.log(VPCR_LOG_WARNING, "config file does not exist yet; waiting for it", [])
        }
        out?.pointee = Unmanaged.passRetained(watcher).toOpaque()
        return vpcr_status(VPCR_OK)
    },
    start: { instance, error in
        guard let instance else { return vpcr_status(VPCR_E_STATE) }
        let watcher = Unmanaged<ConfigFileWatcher>.fromOpaque(instance).takeUnretainedValue()
        if let problem = watcher.start() { return vpcr_fail(error, vpcr_status(VPCR_E_IO), problem) }
        return vpcr_status(VPCR_OK)
    },
    stop: { instance, _ in
        guard let instance else { return vpcr_status(VPCR_OK) }
        Unmanaged<ConfigFileWatcher>.fromOpaque(instance).takeUnretainedValue().stop()
        return vpcr_status(VPCR_OK)
    },
    destroy: { instance in
        guard let instance else { return }
        Unmanaged<ConfigFileWatcher>.fromOpaque(instance).release()
    },
    probe: nil,
    report_info: { instance, sink in
        guard let instance else { return vpcr_status(VPCR_E_INVALID) }
        Unmanaged<ConfigFileWatcher>.fromOpaque(instance).takeUnretainedValue().report(sink)
        return vpcr_status(VPCR_OK)
    },
    reserved: (nil, nil, nil, nil)))

@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafeRawPointer {
    UnsafeRawPointer(identity)
}

@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ hostAPI: UnsafeRawPointer?) -> UnsafeRawPointer? {
    host = hostAPI?.assumingMemoryBound(to: vpcr_host_api_v1.self)
    return UnsafeRawPointer(descriptor)
}
