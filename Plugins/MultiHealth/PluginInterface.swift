import Glibc
import PluginABI

// The C face of the multi plugin: the magic block, the descriptor with its option table and
// the entry points. Everything here is static for the life of the process (plugins are never
// unloaded), so plain pointers into string literals are safe to hand to the host.

/// The host services table; set once by the entry point and kept for the process lifetime.
nonisolated(unsafe) var hostServices: UnsafePointer<vpcr_host_api_v1>?

@inline(__always)
func staticCString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

private nonisolated(unsafe) let magicBlock: UnsafeMutablePointer<vpcr_magic> = {
    let block = UnsafeMutablePointer<vpcr_magic>.allocate(capacity: 1)
    block.initialize(to: vpcr_magic(
        magic: VPCR_MAGIC,
        struct_size: UInt32(MemoryLayout<vpcr_magic>.size),
        abi_major: UInt32(VPCR_ABI_MAJOR),
        abi_minor: UInt32(VPCR_ABI_MINOR),
        name: staticCString("multi"),
        version: staticCString("1.0.0")
    ))
    return block
}()

private nonisolated(unsafe) let optionTable: UnsafeMutableBufferPointer<vpcr_option_decl> = {
    let declarations = [
        vpcr_option_decl(
            struct_size: UInt32(MemoryLayout<vpcr_option_decl>.size),
            // PLUGIN_REFS: the host loads the children named here and parses their options too.
            flags: VPCR_OPT_F_REQUIRED | VPCR_OPT_F_PLUGIN_REFS,
            type: VPCR_OPT_STRING,
            short_name: 0,
            long_name: staticCString("multi_plugins"),
            value_name: staticCString("NAME:NAME[:NAME]"),
            default_value: nil,
            help: staticCString("health plugins to combine; a router is failed when any of them says so"),
            min: 1,
            max: 0
        ),
    ]
    let table = UnsafeMutableBufferPointer<vpcr_option_decl>.allocate(capacity: declarations.count)
    _ = table.initialize(from: declarations)
    return table
}()

private nonisolated(unsafe) let descriptor: UnsafeMutablePointer<vpcr_plugin_v1> = {
    var plugin = vpcr_plugin_v1()
    plugin.struct_size = UInt32(MemoryLayout<vpcr_plugin_v1>.size)
    plugin.min_host_abi_minor = 0
    plugin.kind = VPCR_KIND_HEALTH
    plugin.name = magicBlock.pointee.name
    plugin.version = magicBlock.pointee.version
    plugin.summary = staticCString("combines other health plugins: failed if any child says failed")
    plugin.options = UnsafePointer(optionTable.baseAddress)
    plugin.option_count = UInt32(optionTable.count)
    plugin.option_stride = UInt32(MemoryLayout<vpcr_option_decl>.stride)
    plugin.create = { ctx, options, optionCount, outInstance, error in
        let values = OptionValues(options, count: optionCount)
        switch MultiMonitor.create(context: ctx, options: values) {
        case .success(let monitor):
            outInstance?.pointee = Unmanaged.passRetained(monitor).toOpaque()
            return vpcr_status(VPCR_OK)
        case .failure(let failure):
            failure.write(to: error)
            return failure.code
        }
    }
    plugin.start = { _, _ in vpcr_status(VPCR_OK) }
    plugin.stop = { instance, _ in
        guard let instance else { return vpcr_status(VPCR_E_INVALID) }
        Unmanaged<MultiMonitor>.fromOpaque(instance).takeUnretainedValue().closeChildren()
        return vpcr_status(VPCR_OK)
    }
    plugin.destroy = { instance in
        guard let instance else { return }
        let monitor = Unmanaged<MultiMonitor>.fromOpaque(instance)
        monitor.takeUnretainedValue().closeChildren() // in case stop() was never called
        monitor.release()
    }
    plugin.probe = { instance, request, verdicts, error in
        guard let instance, let request, let verdicts else {
            PluginFailure(code: vpcr_status(VPCR_E_INVALID), message: "probe needs an instance, a request and a verdict array").write(to: error)
            return vpcr_status(VPCR_E_INVALID)
        }
        let monitor = Unmanaged<MultiMonitor>.fromOpaque(instance).takeUnretainedValue()
        return monitor.probe(request, verdicts: verdicts, error: error)
    }
    plugin.report_info = { instance, sink in
        guard let instance, let sink else { return vpcr_status(VPCR_E_INVALID) }
        Unmanaged<MultiMonitor>.fromOpaque(instance).takeUnretainedValue().reportInfo(to: sink)
        return vpcr_status(VPCR_OK)
    }
    let block = UnsafeMutablePointer<vpcr_plugin_v1>.allocate(capacity: 1)
    block.initialize(to: plugin)
    return block
}()

@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafePointer<vpcr_magic> {
    UnsafePointer(magicBlock)
}

@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ host: UnsafePointer<vpcr_host_api_v1>?) -> UnsafePointer<vpcr_plugin_v1>? {
    guard let host, host.pointee.struct_size >= UInt32(MemoryLayout<vpcr_host_api_v1>.size) else {
        // Every service this plugin uses is in ABI 1.0; a smaller table is not a 1.x host.
        return nil
    }
    hostServices = host
    return UnsafePointer(descriptor)
}

/// Logs through the host; silently dropped before the entry point ran.
func hostLog(_ context: OpaquePointer?, _ level: vpcr_log_level, _ message: String) {
    guard let log = hostServices?.pointee.log else { return }
    message.withCString { log(context, level, $0, nil, 0) }
}

/// The host's monotonic clock, the clock of every deadline.
func hostNow(_ context: OpaquePointer?) -> UInt64 {
    hostServices?.pointee.monotonic_now_ns?(context) ?? monotonicNanoseconds()
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// The option values of create(), copied out of the borrowed array.
struct OptionValues {
    private var values: [String: String] = [:]

    init(_ options: UnsafePointer<vpcr_option_value>?, count: UInt32) {
        guard let options else { return }
        for index in 0..<Int(count) {
            let option = options[index]
            guard let name = option.long_name, let value = option.value else { continue }
            values[String(cString: name)] = String(cString: value)
        }
    }

    subscript(_ name: String) -> String? {
        values[name]
    }
}

/// A status code with the message for the caller's vpcr_error.
struct PluginFailure: Error {
    let code: vpcr_status
    let message: String

    init(code: vpcr_status, message: String) {
        self.code = code
        self.message = message
    }

    init(config message: String) {
        self.init(code: vpcr_status(VPCR_E_CONFIG), message: message)
    }

    func write(to error: UnsafeMutablePointer<vpcr_error>?) {
        guard let error else { return }
        error.pointee.code = code
        withUnsafeMutableBytes(of: &error.pointee.message) { buffer in
            let bytes = Array(message.utf8.prefix(buffer.count - 1))
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
    }
}
