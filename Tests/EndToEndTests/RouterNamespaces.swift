import Foundation
import TestSupport

/// Router hosts as network namespaces: each owns one IP, reached from the test's namespace over a
/// veth pair with a host route. A router dies by taking its link down.
final class RouterNamespaces: @unchecked Sendable {
    let prefix = "vre\(UInt32.random(in: 0..<0xFFFF))"
    private(set) var routers: [String: Int] = [:]
    private var listeners: [String] = []

    @discardableResult
    func sh(_ command: String) throws -> String {
        let result = try ProcessRunner.shell(command)
        guard result.status == 0 else { throw HarnessError("\(command): \(result.stderr)") }
        return result.stdout
    }

    func add(_ address: String) throws {
        let index = routers.count
        routers[address] = index
        let namespace = "\(prefix)-\(index)", host = "\(prefix)h\(index)", peer = "\(prefix)r\(index)"
        try sh("ip netns add \(namespace)")
        try sh("ip link add \(host) type veth peer name \(peer)")
        try sh("ip link set \(peer) netns \(namespace)")
        try sh("ip -n \(namespace) link set lo up")
        try sh("ip -n \(namespace) addr add \(address)/32 dev \(peer)")
        try sh("ip -n \(namespace) link set \(peer) up")
        try sh("ip -n \(namespace) route add default dev \(peer)")
        try sh("ip link set \(host) up")
        try sh("ip route replace \(address)/32 dev \(host)")
    }

    /// Routers at `addresses`, each with a TCP listener on `port`, so the tcp health plugin finds them healthy.
    static func listening(_ addresses: [String], port: Int) throws -> RouterNamespaces {
        let routers = RouterNamespaces()
        for address in addresses {
            try routers.add(address)
            try routers.listen(address, port: port)
        }
        return routers
    }

    /// Starts a TCP listener on the router's address (it lives as long as the namespace).
    func listen(_ address: String, port: Int) throws {
        let namespace = "\(prefix)-\(routers[address]!)"
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["ip", "netns", "exec", namespace, "python3", "-c",
                              "import socket,time; s=socket.socket(); s.bind(('\(address)', \(port))); s.listen(64); time.sleep(600)"]
        listener.standardOutput = FileHandle.nullDevice
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        listeners.append(namespace)
    }

    func kill(_ address: String) throws {
        try sh("ip link set \(prefix)h\(routers[address]!) down")
    }

    func revive(_ address: String) throws {
        try sh("ip link set \(prefix)h\(routers[address]!) up")
        try sh("ip route replace \(address)/32 dev \(prefix)h\(routers[address]!)")
    }

    deinit {
        for namespace in listeners {
            _ = try? ProcessRunner.shell("ip netns pids \(namespace) | xargs -r kill")
        }
        for (address, index) in routers {
            _ = try? ProcessRunner.shell("ip route del \(address)/32; ip link del \(prefix)h\(index); ip netns del \(prefix)-\(index)")
        }
    }
}
