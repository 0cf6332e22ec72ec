import PluginABI
import PluginKit

// The C face of the multi plugin: its descriptor with the option table and the entry points.

private let plugin = PluginExport(
    kind: VPCR_KIND_HEALTH, name: "multi", version: "1.0.0",
    summary: "combines other health plugins: failed if any child says failed",
    options: [
        // PLUGIN_REFS: the host loads the children named here and parses their options too.
        OptionDeclaration(
            "multi_plugins", type: VPCR_OPT_STRING, valueName: "NAME:NAME[:NAME]",
            help: "health plugins to combine; a router is failed when any of them says so", required: true,
            refersToPlugins: true),
    ],
    create: MultiMonitor.create)

extension MultiMonitor: PluginInstance {
    func stop(deadlineNanoseconds: UInt64) {
        closeChildren()
    }

    func destroy() {
        closeChildren() // in case stop() was never called
    }
}

// The two exported symbols must be in this library itself; PluginKit does the work.
@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafeRawPointer { plugin.magic }
@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? { plugin.entry(host) }
