// etcd: a mode plugin that takes the route spec from one etcd key and follows every change.
//
//   vpcrouter -m etcd --etcd-endpoints http://10.0.0.5:2379,http://10.0.0.6:2379 --etcd-key /vpcrouter/spec
//   etcdctl put /vpcrouter/spec '{"10.55.16.0/24": ["10.33.20.142"]}'
//
// It talks to etcd's v3 JSON gateway over plain HTTP (no gRPC, no TLS). The value is the usual
// JSON route spec and goes to the host's validator; a refused value is logged with the key, its
// mod revision and the reason, and the last good spec stays in force, as it does when the key is
// deleted or every endpoint is unreachable.
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

nonisolated(unsafe) var host: UnsafePointer<vpcr_host_api_v1>?

nonisolated(unsafe) private let identity = pinned(vpcr_magic(
    magic: VPCR_MAGIC, struct_size: UInt32(MemoryLayout<vpcr_magic>.size),
    abi_major: UInt32(VPCR_ABI_MAJOR), abi_minor: UInt32(VPCR_ABI_MINOR),
    name: cString("etcd"), version: cString("1.0.0")))

private let optionCount = 3

nonisolated(unsafe) private let options: UnsafeMutablePointer<vpcr_option_decl> = {
    let size = UInt32(MemoryLayout<vpcr_option_decl>.size)
    let table = UnsafeMutablePointer<vpcr_option_decl>.allocate(capacity: optionCount)
    table[0] = vpcr_option_decl(
        struct_size: size, flags: 0, type: VPCR_OPT_STRING, short_name: 0,
        long_name: cString("etcd-endpoints"), value_name: cString("URLS"), default_value: cString("http://127.0.0.1:2379"),
        help: cString("comma-separated etcd client URLs (http://host:port), tried in turn"), min: 1, max: 0)
    table[1] = vpcr_option_decl(
        struct_size: size, flags: UInt32(VPCR_OPT_F_REQUIRED), type: VPCR_OPT_STRING, short_name: 0,
        long_name: cString("etcd-key"), value_name: cString("KEY"), default_value: nil,
        help: cString("the etcd key whose value is the route spec (JSON); every change to it is applied"), min: 1, max: 0)
    table[2] = vpcr_option_decl(
        struct_size: size, flags: 0, type: VPCR_OPT_FLOAT, short_name: 0,
        long_name: cString("etcd-resync-interval"), value_name: cString("SECONDS"), default_value: cString("10"),
        help: cString("re-read the key and re-establish a watch that has been quiet this long"), min: 1, max: 3600)
    return table
}()

nonisolated(unsafe) private let descriptor = pinned(vpcr_plugin_v1(
    struct_size: UInt32(MemoryLayout<vpcr_plugin_v1>.size), min_host_abi_minor: 0, kind: VPCR_KIND_MODE, flags: 0,
    name: cString("etcd"), version: cString("1.0.0"), summary: cString("route spec from a watched etcd key (v3 JSON gateway)"),
    options: UnsafePointer(options), option_count: UInt32(optionCount), option_stride: UInt32(MemoryLayout<vpcr_option_decl>.stride),
    create: { context, values, count, out, error in
        var endpointsText = "http://127.0.0.1:2379"
        var key: String?
        var resync = 10.0
        for index in 0..<Int(count) {
            guard let name = values?[index].long_name, let value = values?[index].value else { continue }
            switch String(cString: name) {
            case "etcd-endpoints": endpointsText = String(cString: value)
            case "etcd-key": key = String(cString: value)
            case "etcd-resync-interval": resync = Double(String(cString: value)) ?? resync
            default: break
            }
        }
        guard let key, !key.isEmpty else { return vpcr_fail(error, vpcr_status(VPCR_E_CONFIG), "--etcd-key is required") }
        switch EtcdEndpoint.parseList(endpointsText) {
        case .failure(let problem):
            return vpcr_fail(error, vpcr_status(VPCR_E_CONFIG), problem.message)
        case .success(let endpoints):
            let follower = EtcdKeyFollower(context: context, endpoints: endpoints, key: key, resyncInterval: resync)
            out?.pointee = Unmanaged.passRetained(follower).toOpaque()
            return vpcr_status(VPCR_OK)
        }
    },
    start: { instance, error in
        guard let instance else { return vpcr_status(VPCR_E_STATE) }
        let follower = Unmanaged<EtcdKeyFollower>.fromOpaque(instance).takeUnretainedValue()
        if let problem = follower.start() { return vpcr_fail(error, vpcr_status(VPCR_E_IO), problem) }
        return vpcr_status(VPCR_OK)
    },
    stop: { instance, deadline in
        guard let instance else { return vpcr_status(VPCR_OK) }
        Unmanaged<EtcdKeyFollower>.fromOpaque(instance).takeUnretainedValue().stop(deadlineNanoseconds: deadline)
        return vpcr_status(VPCR_OK)
    },
    destroy: { instance in
        guard let instance else { return }
        Unmanaged<EtcdKeyFollower>.fromOpaque(instance).release()
    },
    probe: nil,
    report_info: { instance, sink in
        guard let instance else { return vpcr_status(VPCR_E_INVALID) }
        Unmanaged<EtcdKeyFollower>.fromOpaque(instance).takeUnretainedValue().report(sink)
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
