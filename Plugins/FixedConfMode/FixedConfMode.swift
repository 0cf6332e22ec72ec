// fixedconf: a mode plugin that submits one route spec given on the command line.
//
//   vpcrouter -m fixedconf --fixed_cidr 10.55.0.0/16 --fixed_hosts 10.33.20.142:10.33.30.22
//
// The host has already checked that --fixed_cidr is a canonical CIDR; the router list is checked
// here (each item must be an IPv4 address) so start-up fails with a clear message.
import Glibc
import PluginABI

private func cString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Static data the host reads through pointers must have a stable address for the process lifetime.
private func pinned<Value>(_ value: Value) -> UnsafeMutablePointer<Value> {
    let pointer = UnsafeMutablePointer<Value>.allocate(capacity: 1)
    pointer.initialize(to: value)
    return pointer
}

nonisolated(unsafe) private var host: UnsafePointer<vpcr_host_api_v1>?

nonisolated(unsafe) private let identity = pinned(vpcr_magic(
    magic: VPCR_MAGIC, struct_size: UInt32(MemoryLayout<vpcr_magic>.size),
    abi_major: UInt32(VPCR_ABI_MAJOR), abi_minor: UInt32(VPCR_ABI_MINOR),
    name: cString("fixedconf"), version: cString("1.0.0")))

nonisolated(unsafe) private let options: UnsafeMutablePointer<vpcr_option_decl> = {
    let table = UnsafeMutablePointer<vpcr_option_decl>.allocate(capacity: 2)
    table[0] = vpcr_option_decl(
        struct_size: UInt32(MemoryLayout<vpcr_option_decl>.size), flags: UInt32(VPCR_OPT_F_REQUIRED),
        type: VPCR_OPT_CIDR, short_name: 0, long_name: cString("fixed_cidr"), value_name: cString("CIDR"),
        default_value: nil, help: cString("the destination CIDR of the one route"), min: 1, max: 0)
    table[1] = vpcr_option_decl(
        struct_size: UInt32(MemoryLayout<vpcr_option_decl>.size), flags: UInt32(VPCR_OPT_F_REQUIRED),
        type: VPCR_OPT_STRING, short_name: 0, long_name: cString("fixed_hosts"), value_name: cString("IP:IP:..."),
        default_value: nil, help: cString("the router IPs eligible for the route, colon-separated"), min: 1, max: 0)
    return table
}()

/// One instance: the spec to submit, kept as C strings for the call.
private final class FixedConf {
    let context: OpaquePointer?
    let cidr: String
    let hosts: [String]

    init(context: OpaquePointer?, cidr: String, hosts: [String]) {
        self.context = context
        self.cidr = cidr
        self.hosts = hosts
    }
}


/// Dotted-quad IPv4 without shorthand or leading zeros.
private func isIPv4(_ text: Substring) -> Bool {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { part in
        !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
            && !(part.count > 1 && part.first == "0") && Int(part)! <= 255
    }
}

nonisolated(unsafe) private let descriptor = pinned(vpcr_plugin_v1(
    struct_size: UInt32(MemoryLayout<vpcr_plugin_v1>.size), min_host_abi_minor: 0, kind: VPCR_KIND_MODE, flags: 0,
    name: cString("fixedconf"), version: cString("1.0.0"),
    summary: cString("one fixed route from --fixed_cidr and --fixed_hosts"),
    options: UnsafePointer(options), option_count: 2, option_stride: UInt32(MemoryLayout<vpcr_option_decl>.stride),
    create: { context, values, count, out, error in
        var cidr: String?
        var hostList: String?
        for index in 0..<Int(count) {
            guard let name = values?[index].long_name, let value = values?[index].value else { continue }
            switch String(cString: name) {
            case "fixed_cidr": cidr = String(cString: value)
            case "fixed_hosts": hostList = String(cString: value)
            default: break
            }
        }
        guard let cidr, let hostList else {
            return vpcr_fail(error, vpcr_status(VPCR_E_CONFIG), "--fixed_cidr and --fixed_hosts are both required")
        }
        let hosts = hostList.split(separator: ":", omittingEmptySubsequences: false)
        if let bad = hosts.first(where: { !isIPv4($0) }) {
            return vpcr_fail(error, vpcr_status(VPCR_E_CONFIG), "--fixed_hosts: '\(bad)' is not a valid IPv4 address (expected a.b.c.d, colon-separated)")
        }
        let instance = FixedConf(context: context, cidr: cidr, hosts: hosts.map(String.init))
        out?.pointee = Unmanaged.passRetained(instance).toOpaque()
        return vpcr_status(VPCR_OK)
    },
    start: { instance, error in
        guard let instance, let host else { return vpcr_status(VPCR_E_STATE) }
        let config = Unmanaged<FixedConf>.fromOpaque(instance).takeUnretainedValue()
        let cidr = strdup(config.cidr)
        let routers = config.hosts.map { UnsafePointer(strdup($0)) }
        defer {
            free(cidr)
            routers.forEach { free(UnsafeMutablePointer(mutating: $0)) }
        }
        return routers.withUnsafeBufferPointer { routerBuffer in
            var route = vpcr_route(cidr: cidr, routers: routerBuffer.baseAddress, router_count: UInt32(routerBuffer.count), reserved: 0)
            return withUnsafePointer(to: &route) { routePointer in
                var spec = vpcr_route_spec(
                    struct_size: UInt32(MemoryLayout<vpcr_route_spec>.size), route_stride: UInt32(MemoryLayout<vpcr_route>.stride),
                    generation: 1, routes: routePointer, route_count: 1, reserved: 0)
                return host.pointee.submit_route_spec(config.context, &spec, error)
            }
        }
    },
    stop: { _, _ in vpcr_status(VPCR_OK) },
    destroy: { instance in
        guard let instance else { return }
        Unmanaged<FixedConf>.fromOpaque(instance).release()
    },
    probe: nil,
    report_info: { instance, sink in
        guard let instance, let host, let sink else { return vpcr_status(VPCR_E_INVALID) }
        let config = Unmanaged<FixedConf>.fromOpaque(instance).takeUnretainedValue()
        host.pointee.info_add(sink, "params", "fixed_cidr", config.cidr)
        host.pointee.info_add(sink, "params", "fixed_hosts", config.hosts.joined(separator: ":"))
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
