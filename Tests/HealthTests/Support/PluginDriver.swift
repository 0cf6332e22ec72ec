import Foundation
import Glibc
import PluginABI

// A deliberately small stand-in for the daemon's plugin loader, used by the health tests and
// the HealthBench tool until the real loader exists: dlopen() the built plugins, check the
// magic, call the v1 entry with a host services table, and drive create/start/probe/stop.
// Plugins are opened with RTLD_NODELETE and never dlclose()d (unloading Swift code crashes).

struct PluginDriverError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "[\(code)] \(message)" }
}

/// Options "from the command line", shared by every plugin as the daemon's CLI would be.
final class PluginDriver: @unchecked Sendable {
    struct Plugin {
        let name: String
        let descriptor: UnsafePointer<vpcr_plugin_v1>
    }

    /// One plugin instance (top-level or a child of `multi`).
    final class Instance: @unchecked Sendable {
        let plugin: Plugin
        let driver: PluginDriver
        fileprivate(set) var handle: UnsafeMutableRawPointer?
        fileprivate var intervalNanoseconds: UInt64?
        fileprivate var timeoutNanoseconds: UInt64?
        fileprivate var children: [Instance] = []
        private var stopped = false

        fileprivate init(plugin: Plugin, driver: PluginDriver) {
            self.plugin = plugin
            self.driver = driver
        }

        var contextPointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

        /// The schedule the plugin asked for. A parent that set none (multi) runs at its fastest
        /// child's interval; its timeout is the longest child timeout, at most that interval.
        var schedule: (interval: Double, timeout: Double) {
            if let interval = intervalNanoseconds, let timeout = timeoutNanoseconds {
                return (Double(interval) / 1e9, Double(timeout) / 1e9)
            }
            let childSchedules = children.map(\.schedule)
            if let interval = childSchedules.map(\.interval).min(), let timeout = childSchedules.map(\.timeout).max() {
                return (interval, min(interval, timeout))
            }
            return (2, 1.5)
        }

        /// One probe round with a deadline `timeout` seconds from now.
        func probe(_ ips: [String], timeout: Double? = nil) throws -> [vpcr_verdict] {
            let budget = timeout ?? schedule.timeout
            let deadline = PluginDriver.now() + UInt64(budget * 1e9)
            return try Self.withRequest(ips, deadline: deadline) { request in
                var verdicts = [vpcr_verdict](repeating: VPCR_VERDICT_FORCE32, count: ips.count)
                var error = vpcr_error()
                let status = plugin.descriptor.pointee.probe!(handle, request, &verdicts, &error)
                guard status == VPCR_OK else { throw PluginDriverError(code: status, message: error.text) }
                return verdicts
            }
        }

        fileprivate func probeAsChild(_ request: UnsafePointer<vpcr_probe_request>, _ verdicts: UnsafeMutablePointer<vpcr_verdict>, _ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
            plugin.descriptor.pointee.probe!(handle, request, verdicts, error)
        }

        /// report_info's fields as section -> key -> value.
        func info() -> [String: [String: String]] {
            let sink = InfoSink()
            guard let report = plugin.descriptor.pointee.report_info else { return [:] }
            _ = report(handle, OpaquePointer(Unmanaged.passUnretained(sink).toOpaque()))
            return sink.lock.withLock { sink.sections }
        }

        func stop() {
            guard !stopped else { return }
            stopped = true
            _ = plugin.descriptor.pointee.stop?(handle, PluginDriver.now() + 5_000_000_000)
            for child in children { child.stop() }
            plugin.descriptor.pointee.destroy?(handle)
        }

        static func withRequest<T>(_ ips: [String], deadline: UInt64, _ body: (UnsafePointer<vpcr_probe_request>) throws -> T) throws -> T {
            let cStrings = ips.map { strdup($0)! }
            defer { cStrings.forEach { free($0) } }
            let targets = cStrings.map { vpcr_target(ip: UnsafePointer($0), instance_id: nil) }
            return try targets.withUnsafeBufferPointer { buffer in
                var request = vpcr_probe_request(
                    struct_size: UInt32(MemoryLayout<vpcr_probe_request>.size),
                    target_stride: UInt32(MemoryLayout<vpcr_target>.stride),
                    generation: 1, deadline_mono_ns: deadline,
                    targets: buffer.baseAddress, target_count: UInt32(buffer.count), reserved: 0)
                return try body(&request)
            }
        }
    }

    final class InfoSink {
        let lock = NSLock()
        var sections: [String: [String: String]] = [:]
    }

    let buildDirectory: String
    let options: [String: String]
    private(set) var plugins: [String: Plugin] = [:]
    private let logLock = NSLock()
    private var logLines: [String] = []

    /// Loads the three health plugins from the directory the running executable was built in.
    init(options: [String: String] = [:], libraries: [String] = ["ICMPHealth", "TCPHealth", "MultiHealth"]) throws {
        self.options = options
        self.buildDirectory = PluginDriver.executableDirectory()
        PluginDriver.installHostTable()
        for library in libraries {
            let plugin = try PluginDriver.load("\(buildDirectory)/lib\(library).so")
            plugins[plugin.name] = plugin
        }
    }

    var log: [String] { logLock.withLock { logLines } }

    /// create() then start(); the instance is this driver's until stop().
    func start(_ name: String, options extra: [String: String] = [:]) throws -> Instance {
        let instance = try create(name, extraOptions: extra)
        var error = vpcr_error()
        if let start = instance.plugin.descriptor.pointee.start {
            let status = start(instance.handle, &error)
            guard status == VPCR_OK else { throw PluginDriverError(code: status, message: error.text) }
        }
        return instance
    }

    fileprivate func create(_ name: String, extraOptions: [String: String] = [:]) throws -> Instance {
        guard let plugin = plugins[name] else {
            throw PluginDriverError(code: vpcr_status(VPCR_E_NOT_FOUND), message: "no loaded health plugin named '\(name)'")
        }
        let instance = Instance(plugin: plugin, driver: self)
        Self.retain(instance)
        let given = options.merging(extraOptions) { _, new in new }
        var pairs: [(String, String)] = []
        let table = UnsafeRawPointer(plugin.descriptor.pointee.options)
        for index in 0..<Int(plugin.descriptor.pointee.option_count) {
            let declaration = table!.load(fromByteOffset: index * Int(plugin.descriptor.pointee.option_stride), as: vpcr_option_decl.self)
            let name = String(cString: declaration.long_name)
            if let value = given[name] {
                pairs.append((name, value))
            } else if let defaultValue = declaration.default_value {
                pairs.append((name, String(cString: defaultValue)))
            } else if declaration.flags & VPCR_OPT_F_REQUIRED != 0 {
                throw PluginDriverError(code: vpcr_status(VPCR_E_CONFIG), message: "--\(name) is required by \(plugin.name)")
            }
        }
        let cStrings = pairs.map { (strdup($0.0)!, strdup($0.1)!) }
        defer { cStrings.forEach { free($0.0); free($0.1) } }
        let values = cStrings.map { vpcr_option_value(long_name: $0.0, value: $0.1) }
        var error = vpcr_error()
        var handle: UnsafeMutableRawPointer?
        let status = plugin.descriptor.pointee.create!(instance.contextPointer, values, UInt32(values.count), &handle, &error)
        guard status == VPCR_OK else { throw PluginDriverError(code: status, message: error.text) }
        instance.handle = handle
        return instance
    }

    fileprivate func record(_ line: String) {
        logLock.withLock { logLines.append(line) }
        if ProcessInfo.processInfo.environment["VPCR_DRIVER_VERBOSE"] != nil {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    // MARK: - Loading

    private nonisolated(unsafe) static var loaded: [String: Plugin] = [:]
    private static let loadLock = NSLock()

    private static func load(_ path: String) throws -> Plugin {
        try loadLock.withLock {
            if let plugin = loaded[path] { return plugin }
            guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
                throw PluginDriverError(code: vpcr_status(VPCR_E_NOT_FOUND), message: "dlopen \(path): \(String(cString: dlerror()))")
            }
            guard let magicSymbol = dlsym(library, VPCR_MAGIC_SYMBOL),
                  let entrySymbol = dlsym(library, VPCR_ENTRY_V1_SYMBOL)
            else {
                throw PluginDriverError(code: vpcr_status(VPCR_E_INVALID), message: "\(path) lacks \(VPCR_MAGIC_SYMBOL) or \(VPCR_ENTRY_V1_SYMBOL)")
            }
            let magic = unsafeBitCast(magicSymbol, to: vpcr_plugin_magic_fn.self)()!
            guard magic.pointee.magic == VPCR_MAGIC, magic.pointee.abi_major == VPCR_ABI_MAJOR else {
                throw PluginDriverError(code: vpcr_status(VPCR_E_INVALID), message: "\(path): bad magic or ABI major")
            }
            let entry = unsafeBitCast(entrySymbol, to: vpcr_plugin_entry_v1_fn.self)
            guard let descriptor = entry(hostTable) else {
                throw PluginDriverError(code: vpcr_status(VPCR_E_INVALID), message: "\(path): the entry point declined")
            }
            let plugin = Plugin(name: String(cString: magic.pointee.name), descriptor: descriptor)
            loaded[path] = plugin
            return plugin
        }
    }

    static func executableDirectory() -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }

    static func now() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    // Instances are kept alive for the process lifetime: a plugin may call back with its
    // context at any time, and the tests are short-lived.
    private nonisolated(unsafe) static var liveInstances: [Instance] = []
    private static func retain(_ instance: Instance) {
        loadLock.withLock { liveInstances.append(instance) }
    }

    // MARK: - Host services

    private nonisolated(unsafe) static let hostTable: UnsafeMutablePointer<vpcr_host_api_v1> = {
        var api = vpcr_host_api_v1()
        api.struct_size = UInt32(MemoryLayout<vpcr_host_api_v1>.size)
        api.abi_minor = UInt32(VPCR_ABI_MINOR)
        api.host_version = UnsafePointer(strdup("test-driver")!)
        api.log = { context, level, message, _, _ in
            let text = message.map { String(cString: $0) } ?? ""
            if let context {
                let instance = Unmanaged<Instance>.fromOpaque(UnsafeRawPointer(context)).takeUnretainedValue()
                instance.driver.record("[\(instance.plugin.name) \(level.rawValue)] \(text)")
            }
        }
        api.monotonic_now_ns = { _ in PluginDriver.now() }
        api.health_set_schedule = { context, interval, timeout, _ in
            guard let context else { return vpcr_status(VPCR_E_INVALID) }
            let instance = Unmanaged<Instance>.fromOpaque(UnsafeRawPointer(context)).takeUnretainedValue()
            instance.intervalNanoseconds = interval
            instance.timeoutNanoseconds = timeout
            return vpcr_status(VPCR_OK)
        }
        api.child_health_open = { context, name, outChild, error in
            guard let context, let name, let outChild else { return vpcr_status(VPCR_E_INVALID) }
            let parent = Unmanaged<Instance>.fromOpaque(UnsafeRawPointer(context)).takeUnretainedValue()
            do {
                let child = try parent.driver.create(String(cString: name))
                if let start = child.plugin.descriptor.pointee.start {
                    let status = start(child.handle, error)
                    guard status == VPCR_OK else { return status }
                }
                parent.children.append(child)
                outChild.pointee = OpaquePointer(Unmanaged.passUnretained(child).toOpaque())
                return vpcr_status(VPCR_OK)
            } catch let failure as PluginDriverError {
                error?.set(failure)
                return failure.code
            } catch {
                return vpcr_status(VPCR_E_INTERNAL)
            }
        }
        api.child_health_probe = { child, request, verdicts, error in
            guard let child, let request, let verdicts else { return vpcr_status(VPCR_E_INVALID) }
            return Unmanaged<Instance>.fromOpaque(UnsafeRawPointer(child)).takeUnretainedValue().probeAsChild(request, verdicts, error)
        }
        api.child_health_close = { child in
            guard let child else { return }
            Unmanaged<Instance>.fromOpaque(UnsafeRawPointer(child)).takeUnretainedValue().stop()
        }
        api.info_add = { sink, section, key, value in
            guard let sink, let section, let key, let value else { return }
            let collector = Unmanaged<InfoSink>.fromOpaque(UnsafeRawPointer(sink)).takeUnretainedValue()
            collector.lock.withLock {
                collector.sections[String(cString: section), default: [:]][String(cString: key)] = String(cString: value)
            }
        }
        let table = UnsafeMutablePointer<vpcr_host_api_v1>.allocate(capacity: 1)
        table.initialize(to: api)
        return table
    }()

    private static func installHostTable() {
        _ = hostTable
    }
}

extension vpcr_error {
    var text: String {
        var copy = message
        return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}

extension UnsafeMutablePointer<vpcr_error> {
    func set(_ failure: PluginDriverError) {
        pointee.code = failure.code
        withUnsafeMutableBytes(of: &pointee.message) { buffer in
            let bytes = Array(failure.message.utf8.prefix(buffer.count - 1))
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
    }
}
