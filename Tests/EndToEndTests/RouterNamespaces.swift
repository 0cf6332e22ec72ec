import Foundation
import TestSupport

/// Router hosts as network namespaces: each owns one IP (and optionally an IPv6 address), reached
/// from the test's namespace over a veth pair with a host route. A router dies by taking its link
/// down, which silences both families.
final class RouterNamespaces: @unchecked Sendable {
    let prefix = "vre\(UInt32.random(in: 0..<0xFFFF))"
    private(set) var routers: [String: Int] = [:]
    /// The IPv6 address of each router that has one, by its IPv4 address.
    private(set) var ipv6ByRouter: [String: String] = [:]
    private var listeners: [String] = []
    private var lock: Int32

    /// The host routes to router addresses live in the machine's root namespace, shared by every
    /// test run and demo on it; whoever holds an exclusive lock on this file may make them.
    static let lockPath = "/tmp/vpcrouter-router-addresses.lock"

    private init(lock: Int32) {
        self.lock = lock
    }

    /// Waits (without blocking a thread) until no other process on the machine holds router
    /// addresses, then takes them until this value is released.
    static func acquire() async throws -> RouterNamespaces {
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw HarnessError("cannot open \(lockPath): errno \(errno)") }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            try await Task.sleep(for: .milliseconds(200))
        }
        return RouterNamespaces(lock: descriptor)
    }

    @discardableResult
    func sh(_ command: String) throws -> String {
        let result = try ProcessRunner.shell(command)
        guard result.status == 0 else { throw HarnessError("\(command): \(result.stderr)") }
        return result.stdout
    }

    /// Adds a router owning `address` and, when given, `ipv6` too. The IPv6 side: `nodad` so the
    /// addresses answer at once, addresses kept while the link is down (Linux drops them
    /// otherwise), and a ULA source address on the host end (fd00:ffff::N) the router answers to.
    func add(_ address: String, ipv6: String? = nil) throws {
        let index = routers.count
        routers[address] = index
        let namespace = "\(prefix)-\(index)", host = "\(prefix)h\(index)", peer = "\(prefix)r\(index)"
        try sh("ip netns add \(namespace)")
        try sh("ip link add \(host) type veth peer name \(peer)")
        try sh("ip link set \(peer) netns \(namespace)")
        try sh("ip -n \(namespace) link set lo up")
        try sh("ip -n \(namespace) addr add \(address)/32 dev \(peer)")
        if let ipv6 {
            ipv6ByRouter[address] = ipv6
            try sh("ip netns exec \(namespace) sysctl -qw net.ipv6.conf.\(peer).keep_addr_on_down=1 net.ipv6.conf.\(peer).accept_dad=0")
            try sh("sysctl -qw net.ipv6.conf.\(host).keep_addr_on_down=1 net.ipv6.conf.\(host).accept_dad=0")
            try sh("ip -n \(namespace) -6 addr add \(ipv6)/128 dev \(peer) nodad")
            try sh("ip -6 addr add \(hostIPv6(index))/128 dev \(host) nodad")
        }
        try sh("ip -n \(namespace) link set \(peer) up")
        try sh("ip -n \(namespace) route add default dev \(peer)")
        if ipv6 != nil { try sh("ip -n \(namespace) -6 route add default dev \(peer)") }
        try sh("ip link set \(host) up")
        try sh("ip route replace \(address)/32 dev \(host)")
        if let ipv6 { try sh("ip -6 route replace \(ipv6)/128 dev \(host) src \(hostIPv6(index))") }
    }

    private func hostIPv6(_ index: Int) -> String { "fd00:ffff::\(index + 1)" }

    /// Routers at `addresses`, each with a TCP listener on `port`, so the tcp health plugin finds them healthy.
    static func listening(_ addresses: [String], port: Int) async throws -> RouterNamespaces {
        let routers = try await acquire()
        for address in addresses {
            try routers.add(address)
            try routers.listen(address, port: port)
        }
        return routers
    }

    /// Starts a TCP listener on the router's address (it lives as long as the namespace) and waits
    /// until it accepts connections. It accepts and closes every connection, so a long test's
    /// probes never fill its backlog. SO_REUSEADDR: a listener started again after `stopListening`
    /// binds even while the connections its predecessor closed are in TIME_WAIT.
    func listen(_ address: String, port: Int) throws {
        let namespace = "\(prefix)-\(routers[address]!)"
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["ip", "netns", "exec", namespace, "python3", "-c",
                              "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('\(address)', \(port))); s.listen(64)\nwhile True: s.accept()[0].close()"]
        listener.standardOutput = FileHandle.nullDevice
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        listeners.append(namespace)
        // Ready once a connection from the test's namespace succeeds (bounded).
        try sh("python3 -c \"import socket,time\nfor _ in range(100):\n  try: socket.create_connection(('\(address)', \(port)), 0.2).close(); break\n  except OSError: time.sleep(0.1)\nelse: raise SystemExit('no listener on \(address):\(port)')\"")
    }

    /// Drops `percent` % of the echo requests reaching the router, at random (nft's `numgen`;
    /// this kernel has no netem). The rules live in the router's namespace and go with it.
    func loseProbes(_ address: String, percent: Int) throws {
        let ruleset = """
            table inet vpcrouter_loss {
                chain input {
                    type filter hook input priority 0; policy accept;
                    icmp type echo-request numgen random mod 100 < \(percent) drop
                }
            }
            """
        try sh("ip netns exec \(prefix)-\(routers[address]!) nft -f - <<'EOF'\n\(ruleset)\nEOF")
    }

    /// The router stops answering pings but stays up (its TCP listener still accepts).
    func ignorePings(_ address: String) throws {
        try sh("ip netns exec \(prefix)-\(routers[address]!) sysctl -q -w net.ipv4.icmp_echo_ignore_all=1")
    }

    /// The router's TCP listener ends (connections are refused) while it still answers pings.
    func stopListening(_ address: String) throws {
        try sh("ip netns pids \(prefix)-\(routers[address]!) | xargs -r kill -KILL")
    }

    func kill(_ address: String) throws {
        try sh("ip link set \(prefix)h\(routers[address]!) down")
    }

    func revive(_ address: String) throws {
        let index = routers[address]!
        try sh("ip link set \(prefix)h\(index) up")
        try sh("ip route replace \(address)/32 dev \(prefix)h\(index)")
        if let ipv6 = ipv6ByRouter[address] { try sh("ip -6 route replace \(ipv6)/128 dev \(prefix)h\(index) src \(hostIPv6(index))") }
    }

    /// Removes every router and lets other processes have the addresses. Tests call it in a
    /// `defer`, so the routers live until the test ends (not just until their last use).
    func remove() {
        guard lock >= 0 else { return }
        for namespace in listeners {
            // SIGKILL: the listeners inherit an ignored SIGTERM from the test process and outlived it.
            _ = try? ProcessRunner.shell("ip netns pids \(namespace) | xargs -r kill -KILL")
        }
        for (address, index) in routers {
            let ipv6Route = ipv6ByRouter[address].map { "ip -6 route del \($0)/128; " } ?? ""
            _ = try? ProcessRunner.shell("ip route del \(address)/32; \(ipv6Route)ip link del \(prefix)h\(index); ip netns del \(prefix)-\(index)")
        }
        listeners = []
        routers = [:]
        ipv6ByRouter = [:]
        close(lock)
        lock = -1
    }

    deinit {
        remove()
    }
}
