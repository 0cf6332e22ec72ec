// romana: routes from Romana 2.0's IPAM topology, kept in etcd at /romana/ipam/data.
//
//   vpcrouter --plugin-dir .build/debug -m romana --etcd_addr 10.0.0.5 --etcd_port 2379 --ignore_routes 0.0.0.0/0
//
// The C ABI is the only thing this file shares with vpcrouter: the magic block, the descriptor
// with its option table, and the five instance functions.
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

/// The host's service table, kept for the life of the process.
nonisolated(unsafe) var host: UnsafePointer<vpcr_host_api_v1>?

nonisolated(unsafe) private let identity = pinned(vpcr_magic(
    magic: VPCR_MAGIC, struct_size: UInt32(MemoryLayout<vpcr_magic>.size),
    abi_major: UInt32(VPCR_ABI_MAJOR), abi_minor: UInt32(VPCR_ABI_MINOR),
    name: cString("romana"), version: cString("1.0.0")))

private let optionCount = 3

nonisolated(unsafe) private let options: UnsafeMutablePointer<vpcr_option_decl> = {
    let size = UInt32(MemoryLayout<vpcr_option_decl>.size)
    let table = UnsafeMutablePointer<vpcr_option_decl>.allocate(capacity: optionCount)
    table[0] = vpcr_option_decl(
        struct_size: size, flags: 0, type: VPCR_OPT_STRING, short_name: 0,
        long_name: cString("etcd_addr"), value_name: cString("HOST"), default_value: cString("localhost"),
        help: cString("address of etcd (its v3 JSON gateway, plain HTTP)"), min: 1, max: 0)
    table[1] = vpcr_option_decl(
        struct_size: size, flags: 0, type: VPCR_OPT_INT, short_name: 0,
        long_name: cString("etcd_port"), value_name: cString("PORT"), default_value: cString("2379"),
        help: cString("etcd client port"), min: 1, max: 65534)
    table[2] = vpcr_option_decl(
        struct_size: size, flags: 0, type: VPCR_OPT_FLOAT, short_name: 0,
        long_name: cString("romana_poll_interval"), value_name: cString("SECONDS"), default_value: cString("1"),
        help: cString("how often the topology key is read"), min: 0.1, max: 60)
    return table
}()

nonisolated(unsafe) private let descriptor = pinned(vpcr_plugin_v1(
    struct_size: UInt32(MemoryLayout<vpcr_plugin_v1>.size), min_host_abi_minor: 0, kind: VPCR_KIND_MODE, flags: 0,
    name: cString("romana"), version: cString("1.0.0"), summary: cString("routes from Romana 2.0's IPAM topology in etcd"),
    options: UnsafePointer(options), option_count: UInt32(optionCount), option_stride: UInt32(MemoryLayout<vpcr_option_decl>.stride),
    create: { context, values, count, out, error in
        // The host has type-checked every value against the table above and filled in defaults.
        var settings: [String: String] = [:]
        for index in 0..<Int(count) {
            guard let name = values?[index].long_name, let value = values?[index].value else { continue }
            settings[String(cString: name)] = String(cString: value)
        }
        let address = settings["etcd_addr"] ?? "localhost"
        guard !address.isEmpty, !address.contains("/") else {
            return vpcr_fail(error, vpcr_status(VPCR_E_CONFIG), "--etcd_addr must be a host name or an address")
        }
        let poller = TopologyPoller(context: context, address: address, port: Int(settings["etcd_port"] ?? "") ?? 2379,
                                    interval: Double(settings["romana_poll_interval"] ?? "") ?? 1)
        out?.pointee = Unmanaged.passRetained(poller).toOpaque()
        return vpcr_status(VPCR_OK)
    },
    start: { instance, _ in
        guard let instance else { return vpcr_status(VPCR_E_STATE) }
        Unmanaged<TopologyPoller>.fromOpaque(instance).takeUnretainedValue().start()
        return vpcr_status(VPCR_OK)
    },
    stop: { instance, deadline in
        guard let instance else { return vpcr_status(VPCR_OK) }
        let now = host?.pointee.monotonic_now_ns(nil) ?? 0
        Unmanaged<TopologyPoller>.fromOpaque(instance).takeUnretainedValue().stop(deadlineNanoseconds: deadline, now: now)
        return vpcr_status(VPCR_OK)
    },
    destroy: { instance in
        guard let instance else { return }
        Unmanaged<TopologyPoller>.fromOpaque(instance).release()
    },
    probe: nil,
    report_info: { instance, sink in
        guard let instance else { return vpcr_status(VPCR_E_INVALID) }
        Unmanaged<TopologyPoller>.fromOpaque(instance).takeUnretainedValue().report(sink)
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
