import PluginABI
import PluginKit

// The C face of the tcp plugin: its descriptor with the option table and the entry points.

private let plugin = PluginExport(
    kind: VPCR_KIND_HEALTH, name: "tcp", version: "1.0.0",
    summary: "TCP connect to a port on every router in one poll loop; refused, unreachable or timed out = failed",
    options: [
        OptionDeclaration(
            "tcp_check_port", type: VPCR_OPT_INT, valueName: "PORT", defaultValue: "22",
            help: "TCP port to connect to on every router", min: 1, max: 65535),
        OptionDeclaration(
            "tcp_check_interval", type: VPCR_OPT_FLOAT, valueName: "SECONDS", defaultValue: "2",
            help: "seconds between TCP connect rounds", min: 0.1, max: 3600),
        // No default text: 1 s, but never more than the interval allows.
        OptionDeclaration(
            "tcp_check_timeout", type: VPCR_OPT_FLOAT, valueName: "SECONDS",
            help: "seconds a connect may take (default 1, or 0.75 x interval when that is shorter)", min: 0.001, max: 3600),
    ],
    create: TCPConnectMonitor.create)

extension TCPConnectMonitor: PluginInstance {}

// The two exported symbols must be in this library itself; PluginKit does the work.
@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafeRawPointer { plugin.magic }
@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? { plugin.entry(host) }
