// fixedconf: a mode plugin that submits one route spec given on the command line.
//
//   vpcrouter -m fixedconf --fixed_cidr 10.55.0.0/16 --fixed_hosts 10.33.20.142:10.33.30.22
//   vpcrouter -m fixedconf --fixed_cidr 10.55.0.0/16 --fixed_hosts fd00:0:0:1::10,10.33.30.22
//
// The original's list is colon-separated, which IPv6 addresses cannot share: a list with a comma
// is comma-separated and may hold IPv6 addresses; a list without one keeps the original's meaning.
// --fixed_cidr is an ABI 1.0 CIDR option, which promises the plugin IPv4: an IPv6 route needs
// configfile, http or etcd.
// With --fixed_order preference the hosts are in order of preference (the first is the primary,
// the others backups in turn). The structured call (vpcr_route) has no field for that order, so
// such a spec goes through the JSON call in the object form the host's validator reads.
// The host has already checked that --fixed_cidr is a canonical CIDR; the router list is checked
// here (each item an IPv4 address, or in a comma list an IPv4 or IPv6 address; the host's validator
// then applies its strict rules) so start-up fails with a clear message.
import Glibc
import PluginABI
import PluginKit

private let plugin = PluginExport(
    kind: VPCR_KIND_MODE, name: "fixedconf", version: "1.0.0",
    summary: "one fixed route from --fixed_cidr and --fixed_hosts",
    options: [
        OptionDeclaration("fixed_cidr", type: VPCR_OPT_CIDR, valueName: "CIDR",
                          help: "the destination IPv4 CIDR of the one route", required: true),
        OptionDeclaration("fixed_hosts", type: VPCR_OPT_STRING, valueName: "IP:IP:...",
                          help: "the router IPs eligible for the route, colon-separated (IPv4) or comma-separated (IPv4 and IPv6)", required: true),
        OptionDeclaration("fixed_order", type: VPCR_OPT_STRING, valueName: "ORDER", defaultValue: "any",
                          help: "any (every host is equal) or preference (the hosts in order of preference)"),
    ],
    create: FixedConf.create)

/// One instance: the spec to submit, kept as C strings for the call.
private final class FixedConf: PluginInstance {
    let context: OpaquePointer?
    let cidr: String
    let hosts: [String]
    /// "any" or "preference".
    let order: String

    init(context: OpaquePointer?, cidr: String, hosts: [String], order: String) {
        self.context = context
        self.cidr = cidr
        self.hosts = hosts
        self.order = order
    }

    static func create(context: OpaquePointer?, options: OptionValues) -> Result<FixedConf, PluginFailure> {
        guard let cidr = options["fixed_cidr"], let hostList = options["fixed_hosts"] else {
            return .failure(PluginFailure(config: "--fixed_cidr and --fixed_hosts are both required"))
        }
        let hosts: [Substring]
        if hostList.contains(",") {
            hosts = hostList.split(separator: ",", omittingEmptySubsequences: false)
            if let bad = hosts.first(where: { !isIPv4($0) && !isIPv6($0) }) {
                return .failure(PluginFailure(config: "--fixed_hosts: '\(bad)' is not a valid IPv4 or IPv6 address (expected a.b.c.d or an IPv6 address, comma-separated)"))
            }
        } else {
            hosts = hostList.split(separator: ":", omittingEmptySubsequences: false)
            if let bad = hosts.first(where: { !isIPv4($0) }) {
                let hint = hostList.contains("::") || hosts.count > 8 ? "; IPv6 routers need the comma-separated form (IP,IP,...)" : ""
                return .failure(PluginFailure(config: "--fixed_hosts: '\(bad)' is not a valid IPv4 address (expected a.b.c.d, colon-separated)\(hint)"))
            }
        }
        let order = options["fixed_order"] ?? "any"
        guard order == "any" || order == "preference" else {
            return .failure(PluginFailure(config: "--fixed_order: expected any or preference, got '\(order)'"))
        }
        return .success(FixedConf(context: context, cidr: cidr, hosts: hosts.map(String.init), order: order))
    }

    /// Submits the one spec through the structured call, or through the JSON call when the hosts
    /// are in order of preference.
    func start() throws(PluginFailure) {
        guard let host = hostServices else { throw PluginFailure(code: vpcr_status(VPCR_E_STATE), message: "start before the entry point") }
        if order == "preference" {
            // Only checked text goes in (a canonical CIDR, dotted quads, hex groups), so nothing needs escaping.
            let routers = hosts.map { "\"\($0)\"" }.joined(separator: ", ")
            let json = "{\"\(cidr)\": {\"routers\": [\(routers)], \"order\": \"preference\"}}"
            var error = vpcr_error()
            let status = json.withCString { text in
                host.pointee.submit_route_spec_json(context, text, UInt64(strlen(text)), 1, &error)
            }
            if status != VPCR_OK { throw PluginFailure(code: status, message: error.text) }
            return
        }
        let cidr = strdup(self.cidr)
        let routers = hosts.map { UnsafePointer(strdup($0)) }
        defer {
            free(cidr)
            routers.forEach { free(UnsafeMutablePointer(mutating: $0)) }
        }
        var error = vpcr_error()
        let status = routers.withUnsafeBufferPointer { routerBuffer in
            var route = vpcr_route(cidr: cidr, routers: routerBuffer.baseAddress, router_count: UInt32(routerBuffer.count), reserved: 0)
            return withUnsafePointer(to: &route) { routePointer in
                var spec = vpcr_route_spec(
                    struct_size: UInt32(MemoryLayout<vpcr_route_spec>.size), route_stride: UInt32(MemoryLayout<vpcr_route>.stride),
                    generation: 1, routes: routePointer, route_count: 1, reserved: 0)
                return host.pointee.submit_route_spec(context, &spec, &error)
            }
        }
        if status != VPCR_OK { throw PluginFailure(code: status, message: error.text) }
    }

    func reportInfo(to sink: OpaquePointer) {
        hostInfoAdd(sink, "params", "fixed_cidr", cidr)
        hostInfoAdd(sink, "params", "fixed_hosts", hosts.joined(separator: hosts.contains { $0.contains(":") } ? "," : ":"))
        hostInfoAdd(sink, "params", "fixed_order", order)
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

/// Any text inet_pton reads as IPv6 (hex groups only, as it refuses zone ids); the host then
/// applies its own strict rules and says exactly what is wrong.
private func isIPv6(_ text: Substring) -> Bool {
    var address = in6_addr()
    return text.allSatisfy { $0.isHexDigit || $0 == ":" } && inet_pton(AF_INET6, String(text), &address) == 1
}

// The two exported symbols must be in this library itself; PluginKit does the work.
@_cdecl("vpcr_plugin_magic")
public func vpcrPluginMagic() -> UnsafeRawPointer { plugin.magic }
@_cdecl("vpcr_plugin_entry_v1")
public func vpcrPluginEntryV1(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? { plugin.entry(host) }
