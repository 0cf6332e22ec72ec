import PluginABI

/// The C face of one plugin: its magic block, its descriptor with the option table, and the two
/// entry points' bodies. A plugin keeps one in a global and forwards its two `@_cdecl` entry
/// points to `magic` and `entry(_:)`. Everything here is static for the life of the process
/// (plugins are never unloaded), so plain pointers into it are safe to hand to the host.
public final class PluginExport: @unchecked Sendable {
    private let magicBlock: UnsafeMutablePointer<vpcr_magic>
    private let descriptor: UnsafeMutablePointer<vpcr_plugin_v1>
    fileprivate let makeInstance: (OpaquePointer?, OptionValues) -> Result<InstanceBox, PluginFailure>

    public init<Instance: PluginInstance>(
        kind: vpcr_kind, name: StaticString, version: StaticString, summary: StaticString,
        options: [OptionDeclaration] = [],
        create: @escaping (_ context: OpaquePointer?, _ options: OptionValues) -> Result<Instance, PluginFailure>
    ) {
        makeInstance = { context, values in create(context, values).map { InstanceBox($0) } }
        magicBlock = .allocate(capacity: 1)
        magicBlock.initialize(to: vpcr_magic(
            magic: VPCR_MAGIC, struct_size: UInt32(MemoryLayout<vpcr_magic>.size),
            abi_major: UInt32(VPCR_ABI_MAJOR), abi_minor: UInt32(VPCR_ABI_MINOR),
            name: staticCString(name), version: staticCString(version)))

        let optionTable = UnsafeMutableBufferPointer<vpcr_option_decl>.allocate(capacity: max(options.count, 1))
        _ = optionTable.initialize(from: options.map(\.declaration))

        var plugin = vpcr_plugin_v1()
        plugin.struct_size = UInt32(MemoryLayout<vpcr_plugin_v1>.size)
        plugin.min_host_abi_minor = 0
        plugin.kind = kind
        plugin.name = magicBlock.pointee.name
        plugin.version = magicBlock.pointee.version
        plugin.summary = staticCString(summary)
        plugin.options = options.isEmpty ? nil : UnsafePointer(optionTable.baseAddress)
        plugin.option_count = UInt32(options.count)
        plugin.option_stride = UInt32(MemoryLayout<vpcr_option_decl>.stride)
        plugin.create = createThunk
        plugin.start = startThunk
        plugin.stop = stopThunk
        plugin.destroy = destroyThunk
        plugin.probe = kind == VPCR_KIND_HEALTH ? probeThunk : nil
        plugin.report_info = reportInfoThunk
        descriptor = .allocate(capacity: 1)
        descriptor.initialize(to: plugin)
    }

    /// The body of `vpcr_plugin_magic`.
    public var magic: UnsafeRawPointer {
        UnsafeRawPointer(magicBlock)
    }

    /// The body of `vpcr_plugin_entry_v1`: keeps the host table and returns the descriptor, or
    /// declines (NULL) a table smaller than ABI 1.0's, which is not a 1.x host.
    public func entry(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? {
        guard let table = host?.assumingMemoryBound(to: vpcr_host_api_v1.self),
              table.pointee.struct_size >= UInt32(VPCR_HOST_API_V1_0_SIZE) else { return nil }
        hostServices = table
        exportedPlugin = self
        return UnsafeRawPointer(descriptor)
    }
}

/// The plugin this library exports; the C entry points reach it here because they cannot
/// capture. One per library: each plugin links its own copy of this module (RTLD_LOCAL).
private nonisolated(unsafe) var exportedPlugin: PluginExport?

/// What the host's instance pointer points at: the plugin's object, reached through closures
/// made where its type is known, so no call needs a dynamic cast.
private final class InstanceBox {
    let start: () throws(PluginFailure) -> Void
    let stop: (UInt64) -> Void
    let destroy: () -> Void
    let reportInfo: (OpaquePointer) -> Void
    let probe: (UnsafePointer<vpcr_probe_request>, UnsafeMutablePointer<vpcr_verdict>, UnsafeMutablePointer<vpcr_error>?) -> vpcr_status

    init<Instance: PluginInstance>(_ instance: Instance) {
        start = { () throws(PluginFailure) in try instance.start() }
        stop = { instance.stop(deadlineNanoseconds: $0) }
        destroy = { instance.destroy() }
        reportInfo = { instance.reportInfo(to: $0) }
        probe = { instance.probe($0, verdicts: $1, error: $2) }
    }

    static func from(_ pointer: UnsafeMutableRawPointer) -> InstanceBox {
        Unmanaged<InstanceBox>.fromOpaque(pointer).takeUnretainedValue()
    }
}

private let createThunk: @convention(c) (
    OpaquePointer?, UnsafePointer<vpcr_option_value>?, UInt32, UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    UnsafeMutablePointer<vpcr_error>?
) -> vpcr_status = { context, options, optionCount, outInstance, error in
    guard let plugin = exportedPlugin else {
        return fail(error, PluginFailure(code: vpcr_status(VPCR_E_STATE), message: "create before the entry point"))
    }
    switch plugin.makeInstance(context, OptionValues(options, count: optionCount)) {
    case .success(let box):
        outInstance?.pointee = Unmanaged.passRetained(box).toOpaque()
        return vpcr_status(VPCR_OK)
    case .failure(let failure):
        return fail(error, failure)
    }
}

private let startThunk: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<vpcr_error>?) -> vpcr_status = { instance, errorOut in
    guard let instance else { return fail(errorOut, PluginFailure(code: vpcr_status(VPCR_E_INVALID), message: "start needs an instance")) }
    do throws(PluginFailure) {
        try InstanceBox.from(instance).start()
        return vpcr_status(VPCR_OK)
    } catch {
        return fail(errorOut, error)
    }
}

private let stopThunk: @convention(c) (UnsafeMutableRawPointer?, UInt64) -> vpcr_status = { instance, deadline in
    guard let instance else { return vpcr_status(VPCR_OK) }
    InstanceBox.from(instance).stop(deadline)
    return vpcr_status(VPCR_OK)
}

private let destroyThunk: @convention(c) (UnsafeMutableRawPointer?) -> Void = { instance in
    guard let instance else { return }
    let box = Unmanaged<InstanceBox>.fromOpaque(instance)
    box.takeUnretainedValue().destroy()
    box.release()
}

private let probeThunk: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<vpcr_probe_request>?, UnsafeMutablePointer<vpcr_verdict>?,
    UnsafeMutablePointer<vpcr_error>?
) -> vpcr_status = { instance, request, verdicts, error in
    guard let instance, let request, let verdicts else {
        return fail(error, PluginFailure(code: vpcr_status(VPCR_E_INVALID), message: "probe needs an instance, a request and a verdict array"))
    }
    return InstanceBox.from(instance).probe(request, verdicts, error)
}

private let reportInfoThunk: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> vpcr_status = { instance, sink in
    guard let instance, let sink else { return vpcr_status(VPCR_E_INVALID) }
    InstanceBox.from(instance).reportInfo(sink)
    return vpcr_status(VPCR_OK)
}

private func fail(_ error: UnsafeMutablePointer<vpcr_error>?, _ failure: PluginFailure) -> vpcr_status {
    failure.write(to: error)
    return failure.code
}
