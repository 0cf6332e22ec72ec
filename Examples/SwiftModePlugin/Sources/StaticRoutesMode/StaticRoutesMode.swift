// staticroutes: submits every route given in one option, then stays quiet.
//
//   vpcrouter --plugin-dir .build/debug -m staticroutes \
//       --static_routes "10.55.16.0/24=10.33.20.142,10.33.30.22;10.66.0.0/16=10.33.20.93"
//
// The host validates the spec when it is submitted and hands back its reason when it refuses it,
// so this plugin does no address checking of its own.
import Glibc
import PluginABI

/// Text the host reads through pointers for the life of the process.
private func cString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

private func pinned<Value>(_ value: Value) -> UnsafeMutablePointer<Value> {
    let pointer = UnsafeMutablePointer<Value>.allocate(capacity: 1)
    pointer.initialize(to: value)
    return pointer
}

nonisolated(unsafe) private var host: UnsafePointer<vpcr_host_api_v1>?
nonisolated(unsafe) private var context: OpaquePointer?
nonisolated(unsafe) private var routesText = ""

nonisolated(unsafe) private let identity = pinned(vpcr_magic(
    magic: VPCR_MAGIC, struct_size: UInt32(MemoryLayout<vpcr_magic>.size),
    abi_major: UInt32(VPCR_ABI_MAJOR), abi_minor: UInt32(VPCR_ABI_MINOR),
    name: cString("staticroutes"), version: cString("0.1.0")))

nonisolated(unsafe) private let option = pinned(vpcr_option_decl(
    struct_size: UInt32(MemoryLayout<vpcr_option_decl>.size), flags: UInt32(VPCR_OPT_F_REQUIRED),
    type: VPCR_OPT_STRING, short_name: 0, long_name: cString("static_routes"), value_name: cString("CIDR=IP,IP;..."),
    default_value: nil, help: cString("the routes to submit"), min: 1, max: 0))

/// Submits the routes; the host's verdict (and its reason) comes straight back.
private func submitRoutes(_ error: UnsafeMutablePointer<vpcr_error>?) -> vpcr_status {
    var owned: [UnsafeMutablePointer<CChar>?] = []
    defer { owned.forEach { free($0) } }
    var routerLists: [[UnsafePointer<CChar>?]] = []
    var cidrs: [UnsafePointer<CChar>?] = []
    for entry in routesText.split(separator: ";") {
        let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let cidr = strdup(String(parts[0]))
        owned.append(cidr)
        cidrs.append(UnsafePointer(cidr))
        let routers = parts.count > 1 ? parts[1].split(separator: ",").map { strdup(String($0)) } : []
        owned += routers
        routerLists.append(routers.map { UnsafePointer($0) })
    }
    var routes: [vpcr_route] = []
    var result = vpcr_status(VPCR_OK)
    // Keep every router array alive while the host reads the spec.
    func build(_ index: Int) {
        guard index < routerLists.count else {
            routes.withUnsafeBufferPointer { buffer in
                var spec = vpcr_route_spec(
                    struct_size: UInt32(MemoryLayout<vpcr_route_spec>.size), route_stride: UInt32(MemoryLayout<vpcr_route>.stride),
                    generation: 1, routes: buffer.baseAddress, route_count: UInt32(buffer.count), reserved: 0)
                result = host!.pointee.submit_route_spec(context, &spec, error)
            }
            return
        }
        routerLists[index].withUnsafeBufferPointer { buffer in
            routes.append(vpcr_route(cidr: cidrs[index], routers: buffer.baseAddress, router_count: UInt32(buffer.count), reserved: 0))
            build(index + 1)
        }
    }
    build(0)
    return result
}

nonisolated(unsafe) private let descriptor = pinned(vpcr_plugin_v1(
    struct_size: UInt32(MemoryLayout<vpcr_plugin_v1>.size), min_host_abi_minor: 0, kind: VPCR_KIND_MODE, flags: 0,
    name: cString("staticroutes"), version: cString("0.1.0"), summary: cString("routes from one command-line option"),
    options: UnsafePointer(option), option_count: 1, option_stride: UInt32(MemoryLayout<vpcr_option_decl>.stride),
    create: { hostContext, values, count, out, _ in
        context = hostContext
        for index in 0..<Int(count) where String(cString: values![index].long_name) == "static_routes" {
            routesText = String(cString: values![index].value)
        }
        out?.pointee = UnsafeMutableRawPointer(bitPattern: 1)  // one instance; no state beyond the globals
        return vpcr_status(VPCR_OK)
    },
    start: { _, error in submitRoutes(error) },
    stop: { _, _ in vpcr_status(VPCR_OK) },
    destroy: { _ in },
    probe: nil,
    report_info: { _, sink in
        host?.pointee.info_add(sink, "params", "static_routes", routesText)
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
