import PluginABI
import PluginKit

// The C face of the icmpecho plugin: its descriptor with the option table and the entry points.

private let plugin = PluginExport(
    kind: VPCR_KIND_HEALTH, name: "icmpecho", version: "1.0.0",
    summary: "ICMP echo to every router through one socket; no reply by the timeout = failed",
    options: [
        OptionDeclaration(
            "icmp_check_interval", type: VPCR_OPT_FLOAT, valueName: "SECONDS", defaultValue: "2",
            help: "seconds between ICMP echo rounds", min: 0.1, max: 3600),
        // No default text: the timeout follows the interval (0.75 x) unless given.
        OptionDeclaration(
            "icmp_check_timeout", type: VPCR_OPT_FLOAT, valueName: "SECONDS",
            help: "seconds to wait for echo replies each round (default 0.75 x interval)", min: 0.001, max: 3600),
    ],
    create: ICMPEchoMonitor.create)

extension ICMPEchoMonitor: PluginInstance {}

// The two exported symbols must be in this library itself; PluginKit does the work.
@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafeRawPointer { plugin.magic }
@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? { plugin.entry(host) }
