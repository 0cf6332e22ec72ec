import Foundation

/// Romana 2.0's IPAM topology document (the value of `/romana/ipam/data`) and its route spec.
///
///     {"networks": {"net1": {"cidr": "10.0.0.0/8", "host_groups": {
///         "cidr": "10.0.0.0/28", "hosts": [{"ip": "192.168.99.10"}], "groups": [ ...nested... ]}}}}
///
/// Every group, at any depth, that has a CIDR and at least one host becomes a route from that
/// CIDR to its hosts' IPs. Child groups come before their parent and a later entry replaces an
/// earlier one for the same CIDR, as in the original Romana watcher.
struct RomanaTopology {
    /// A document that is not a topology at all; the message says what is wrong.
    struct FormatError: Error, CustomStringConvertible {
        let description: String
    }

    /// CIDR → router IPs, in the order found.
    private(set) var routes: [(cidr: String, routers: [String])] = []

    init(json: [UInt8]) throws(FormatError) {
        guard let document = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw FormatError(description: "the topology is not a JSON object")
        }
        guard let networks = document["networks"] as? [String: Any] else {
            throw FormatError(description: "the topology has no \"networks\" object")
        }
        for name in networks.keys.sorted() {
            guard let network = networks[name] as? [String: Any] else {
                throw FormatError(description: "network \"\(name)\" is not an object")
            }
            guard let groups = network["host_groups"] else { continue }
            guard let top = groups as? [String: Any] else {
                throw FormatError(description: "\"host_groups\" of network \"\(name)\" is not an object")
            }
            try collect(top, path: "networks.\(name).host_groups")
        }
    }

    private mutating func collect(_ group: [String: Any], path: String) throws(FormatError) {
        if let children = group["groups"], !(children is NSNull) {
            guard let list = children as? [Any] else { throw FormatError(description: "\(path).groups is not a list") }
            for (index, child) in list.enumerated() {
                guard let object = child as? [String: Any] else { throw FormatError(description: "\(path).groups[\(index)] is not an object") }
                try collect(object, path: "\(path).groups[\(index)]")
            }
        }
        guard let cidr = group["cidr"] as? String, let hosts = group["hosts"] as? [Any], !hosts.isEmpty else { return }
        var routers: [String] = []
        for (index, host) in hosts.enumerated() {
            guard let ip = (host as? [String: Any])?["ip"] as? String else {
                throw FormatError(description: "\(path).hosts[\(index)] has no \"ip\" string")
            }
            routers.append(ip)
        }
        routes.removeAll { $0.cidr == cidr }
        routes.append((cidr, routers))
    }

    /// The route spec as JSON in vpcrouter's format, for the host's validator.
    var routeSpecJSON: [UInt8] {
        var object: [String: [String]] = [:]
        for route in routes { object[route.cidr] = route.routers }
        return [UInt8]((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}
