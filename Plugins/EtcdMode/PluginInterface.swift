// etcd: a mode plugin that takes the route spec from one etcd key and follows every change.
//
//   vpcrouter -m etcd --etcd-endpoints http://10.0.0.5:2379,http://10.0.0.6:2379 --etcd-key /vpcrouter/spec
//   etcdctl put /vpcrouter/spec '{"10.55.16.0/24": ["10.33.20.142"]}'
//
// It talks to etcd's v3 JSON gateway over plain HTTP (no gRPC, no TLS). The value is the usual
// JSON route spec and goes to the host's validator; a refused value is logged with the key, its
// mod revision and the reason, and the last good spec stays in force, as it does when the key is
// deleted or every endpoint is unreachable.
import EtcdClient
import PluginABI
import PluginKit

private let plugin = PluginExport(
    kind: VPCR_KIND_MODE, name: "etcd", version: "1.0.0", summary: "route spec from a watched etcd key (v3 JSON gateway)",
    options: [
        OptionDeclaration("etcd-endpoints", type: VPCR_OPT_STRING, valueName: "URLS", defaultValue: "http://127.0.0.1:2379",
                          help: "comma-separated etcd client URLs (http://host[:port], port 2379 if none), tried in turn"),
        OptionDeclaration("etcd-key", type: VPCR_OPT_STRING, valueName: "KEY",
                          help: "the etcd key whose value is the route spec (JSON); every change to it is applied", required: true),
        OptionDeclaration("etcd-resync-interval", type: VPCR_OPT_FLOAT, valueName: "SECONDS", defaultValue: "10",
                          help: "re-read the key and re-establish a watch that has been quiet this long", min: 1, max: 3600),
    ],
    create: EtcdKeyFollower.create)

extension EtcdKeyFollower {
    static func create(context: OpaquePointer?, options: OptionValues) -> Result<EtcdKeyFollower, PluginFailure> {
        guard let key = options["etcd-key"], !key.isEmpty else { return .failure(PluginFailure(config: "--etcd-key is required")) }
        let resync = options["etcd-resync-interval"].flatMap(Double.init) ?? 10
        switch EtcdEndpoint.parseList(options["etcd-endpoints"] ?? "http://127.0.0.1:2379", option: "--etcd-endpoints") {
        case .failure(let problem):
            return .failure(PluginFailure(config: problem.message))
        case .success(let endpoints):
            return .success(EtcdKeyFollower(context: context, endpoints: endpoints, key: key, resyncInterval: resync))
        }
    }
}

// The two exported symbols must be in this library itself; PluginKit does the work.
@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafeRawPointer { plugin.magic }
@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? { plugin.entry(host) }
