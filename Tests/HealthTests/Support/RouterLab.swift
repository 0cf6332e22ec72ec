import Foundation
import Glibc

/// Router hosts for the plugin tests: each router is a network namespace joined to the test's
/// namespace by a veth pair on its own /30 in 10.213.N.0/24 and its own /64 in fd00:213:N::/48
/// (IPv6 addresses added with `nodad`, so they answer at once), where N is picked per lab so
/// concurrent labs (and concurrent test runs) never share addresses. An `unreachable` route for
/// the whole /24 (and the /48) makes traffic to a vanished router fail fast instead of leaving by the
/// default route (where a transparent proxy might even accept TCP).
///
/// Use `RouterLab.with { lab in ... }`: it always removes the namespaces, veths and the route,
/// also when the body throws. Namespaces are named `vpcrh-<pid>-<lab>-<n>` so a later run can
/// sweep what a crashed run left behind.
final class RouterLab {
    struct Router {
        let namespace: String
        let ip: String
        let hostIP: String
        let ipv6: String
        let hostIPv6: String
        /// The veth end inside the router namespace.
        let interface: String
    }

    let subnet: UInt8
    private let labID: String
    private(set) var routers: [Router] = []
    private var extraNamespaces: [String] = []
    private var listeners: [String: [Int32]] = [:]
    private var routeAdded = false

    private static let lock = NSLock()
    private nonisolated(unsafe) static var subnetsInUse: Set<UInt8> = []
    private nonisolated(unsafe) static var labCounter = 0
    private nonisolated(unsafe) static var swept = false

    static func with<T>(_ body: (RouterLab) throws -> T) throws -> T {
        let lab = try RouterLab()
        defer { lab.tearDown() }
        return try body(lab)
    }

    private init() throws {
        Self.sweepLeftovers()
        let (subnet, number) = try Self.lock.withLock { () throws -> (UInt8, Int) in
            let taken = try Command.check("ip", "-4", "route", "show", "10.213.0.0/16", "root", "10.213.0.0/16")
            let candidates = (UInt8(0)...UInt8(255)).filter { octet in
                !Self.subnetsInUse.contains(octet) && !taken.contains("10.213.\(octet).")
            }
            guard let chosen = candidates.randomElement() else {
                throw CommandFailure(arguments: ["allocate"], status: 1, output: "no free 10.213.N.0/24 test subnet")
            }
            Self.subnetsInUse.insert(chosen)
            Self.labCounter += 1
            return (chosen, Self.labCounter)
        }
        self.subnet = subnet
        self.labID = "\(getpid())-\(number)"
        try Command.check("ip", "route", "add", "unreachable", "10.213.\(subnet).0/24")
        routeAdded = true
        // Best effort, so a failure here cannot leak the IPv4 route (only tearDown removes it).
        _ = try? Command.run(["ip", "-6", "route", "add", "unreachable", "\(ipv6Prefix)::/48"])
    }

    /// The lab's IPv6 /48; router n has \(ipv6Prefix):n::/64.
    var ipv6Prefix: String { "fd00:213:\(String(subnet, radix: 16))" }

    private func interfaceName(_ side: String, _ index: Int) -> String {
        // Interface names have at most 15 characters; pid and subnet make them unique.
        String(format: "v%@%x%02x%02x", side, getpid() & 0xffff, Int(subnet), index)
    }

    /// Adds a router namespace linked to `parent` (nil: the test's own namespace).
    @discardableResult
    func addRouter(linkedTo parent: String? = nil) throws -> Router {
        let index = routers.count
        precondition(index < 63, "a lab has room for 63 routers")
        let namespace = "vpcrh-\(labID)-\(index)"
        let hostSide = interfaceName("h", index)
        let routerSide = interfaceName("r", index)
        let hostIP = "10.213.\(subnet).\(index * 4 + 1)"
        let routerIP = "10.213.\(subnet).\(index * 4 + 2)"
        try Command.check("ip", "netns", "add", namespace)
        let hostIPv6 = "\(ipv6Prefix):\(String(index, radix: 16))::1"
        let routerIPv6 = "\(ipv6Prefix):\(String(index, radix: 16))::2"
        let router = Router(namespace: namespace, ip: routerIP, hostIP: hostIP, ipv6: routerIPv6, hostIPv6: hostIPv6, interface: routerSide)
        routers.append(router)
        try Command.check("ip", "link", "add", hostSide, "type", "veth", "peer", "name", routerSide)
        try Command.check("ip", "link", "set", routerSide, "netns", namespace)
        if let parent {
            try Command.check("ip", "link", "set", hostSide, "netns", parent)
        }
        let hostCommand = parent.map { ["ip", "-n", $0] } ?? ["ip"]
        try Command.check(hostCommand + ["addr", "add", "\(hostIP)/30", "dev", hostSide])
        try Command.check(hostCommand + ["-6", "addr", "add", "\(hostIPv6)/64", "dev", hostSide, "nodad"])
        try Command.check(hostCommand + ["link", "set", hostSide, "up"])
        try Command.check("ip", "-n", namespace, "addr", "add", "\(routerIP)/30", "dev", routerSide)
        // Linux drops an interface's IPv6 addresses when its link goes down; keep them, so a router
        // whose link comes back answers again as an IPv4 address does.
        try Command.check("ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.\(routerSide).keep_addr_on_down=1")
        try Command.check("ip", "-n", namespace, "-6", "addr", "add", "\(routerIPv6)/64", "dev", routerSide, "nodad")
        try Command.check("ip", "-n", namespace, "link", "set", routerSide, "up")
        try Command.check("ip", "-n", namespace, "link", "set", "lo", "up")
        return router
    }

    /// A namespace that is not a router (a prober elsewhere, say); removed with the lab.
    func addNamespace(_ suffix: String) throws -> String {
        let namespace = "vpcrh-\(labID)-\(suffix)"
        try Command.check("ip", "netns", "add", namespace)
        extraNamespaces.append(namespace)
        try Command.check("ip", "-n", namespace, "link", "set", "lo", "up")
        return namespace
    }

    // MARK: - Ways for a router to fail

    func setLink(_ router: Router, up: Bool) throws {
        try Command.check("ip", "-n", router.namespace, "link", "set", router.interface, up ? "up" : "down")
    }

    func dropICMPEcho(_ router: Router) throws {
        try addDropRule(router, "icmp type echo-request drop")
    }

    func dropICMPv6Echo(_ router: Router) throws {
        try addDropRule(router, "icmpv6 type echo-request drop")
    }

    func dropTCP(_ router: Router, port: UInt16) throws {
        try addDropRule(router, "tcp dport \(port) drop")
    }

    func clearRules(_ router: Router) throws {
        try Command.check("ip", "netns", "exec", router.namespace, "nft", "flush", "ruleset")
    }

    private func addDropRule(_ router: Router, _ rule: String) throws {
        guard Command.exists("nft") else {
            throw CommandFailure(arguments: ["nft"], status: 127, output: "nft is missing: apt-get install -y nftables")
        }
        let ruleset = """
        table inet vpcrtest {
            chain input {
                type filter hook input priority 0; policy accept;
                \(rule)
            }
        }

        """
        try Command.check(["ip", "netns", "exec", router.namespace, "nft", "-f", "-"], input: ruleset)
    }

    /// Removes the router's namespace (and with it its end of the veth). The kernel tears a
    /// namespace down in the background and it keeps answering until then, so this waits (up
    /// to 5 s) for the veth in the test's namespace to vanish.
    func deleteNamespace(_ router: Router) throws {
        stopListeners(router)
        try Command.check("ip", "netns", "del", router.namespace)
        guard let index = routers.firstIndex(where: { $0.namespace == router.namespace }) else { return }
        let hostSide = interfaceName("h", index)
        for _ in 0..<250 where if_nametoindex(hostSide) != 0 {
            usleep(20_000)
        }
        if if_nametoindex(hostSide) != 0 {
            throw CommandFailure(arguments: ["ip", "netns", "del", router.namespace], status: 0, output: "\(hostSide) still exists 5 s later")
        }
    }

    // MARK: - TCP service on a router

    /// Listens on router.ip:port inside the router's namespace. The kernel completes the
    /// handshakes; nobody needs to accept for a connect check to succeed.
    func startListener(_ router: Router, port: UInt16, ipv6: Bool = false) throws {
        let descriptor = try NetworkNamespace.run(in: router.namespace) { () throws -> Int32 in
            let descriptor = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw NetworkNamespace.Failure(step: "socket", code: errno) }
            var reuse: Int32 = 1
            _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            let bound: Int32
            if ipv6 {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = port.bigEndian
                inet_pton(AF_INET6, router.ipv6, &address.sin6_addr)
                bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
                }
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                inet_pton(AF_INET, router.ip, &address.sin_addr)
                bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            guard bound == 0, listen(descriptor, 1024) == 0 else {
                let code = errno
                close(descriptor)
                throw NetworkNamespace.Failure(step: "bind/listen \(ipv6 ? router.ipv6 : router.ip):\(port)", code: code)
            }
            return descriptor
        }
        listeners[router.namespace, default: []].append(descriptor)
    }

    /// Closes the router's listeners: connects are refused from now on.
    func stopListeners(_ router: Router) {
        for descriptor in listeners.removeValue(forKey: router.namespace) ?? [] {
            close(descriptor)
        }
    }

    // MARK: - Cleanup

    func tearDown() {
        for descriptors in listeners.values {
            descriptors.forEach { close($0) }
        }
        listeners = [:]
        for namespace in routers.map(\.namespace) + extraNamespaces {
            _ = try? Command.run(["ip", "netns", "del", namespace])
        }
        // Host-side veth ends vanish with their peers; delete any that linger anyway.
        for index in routers.indices {
            _ = try? Command.run(["ip", "link", "del", interfaceName("h", index)])
        }
        if routeAdded {
            _ = try? Command.run(["ip", "route", "del", "unreachable", "10.213.\(subnet).0/24"])
            _ = try? Command.run(["ip", "-6", "route", "del", "unreachable", "\(ipv6Prefix)::/48"])
        }
        _ = Self.lock.withLock { Self.subnetsInUse.remove(subnet) }
    }

    /// Removes namespaces of earlier runs whose process is gone (a crash skips tearDown).
    private static func sweepLeftovers() {
        let shouldSweep = lock.withLock { () -> Bool in
            defer { swept = true }
            return !swept
        }
        guard shouldSweep, let listing = try? Command.check("ip", "netns", "list") else { return }
        for line in listing.split(separator: "\n") {
            let name = line.split(separator: " ").first.map(String.init) ?? ""
            let parts = name.split(separator: "-")
            guard parts.count >= 3, parts[0] == "vpcrh", let pid = Int32(parts[1]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                _ = try? Command.run(["ip", "netns", "del", name])
            }
        }
    }
}
