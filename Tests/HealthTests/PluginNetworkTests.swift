import Foundation
import Glibc
import Health
import HealthPluginHarness
import PluginABI
import RouteModel
import Testing

private let isRoot = geteuid() == 0

/// Probes until the verdicts are `expected` or `rounds` rounds have run; returns the last ones.
/// A few rounds absorb neighbour (ARP) resolution after a link comes back.
private func probe(
    _ instance: HealthPluginRun, _ ips: [String], until expected: [vpcr_verdict],
    rounds: Int = 4, timeout: Double = 0.5
) throws -> [vpcr_verdict] {
    var verdicts: [vpcr_verdict] = []
    for _ in 0..<rounds {
        verdicts = try instance.probe(ips, timeout: timeout)
        if verdicts == expected { break }
    }
    return verdicts
}

private let healthy = VPCR_VERDICT_HEALTHY
private let failed = VPCR_VERDICT_FAILED

@Suite("Health plugins against router namespaces", .serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct PluginNetworkTests {
    @Test("icmpecho detects link down, an ICMP drop rule and a deleted namespace, and recovery", .timeLimit(.minutes(1)))
    func icmpechoFailureAndRecovery() throws {
        try RouterLab.with { lab in
            let linkRouter = try lab.addRouter()
            let filteredRouter = try lab.addRouter()
            let deletedRouter = try lab.addRouter()
            let ips = [linkRouter.ip, filteredRouter.ip, deletedRouter.ip]
            let driver = try HealthPlugins(options: ["icmp_check_interval": "1"])
            let icmp = try driver.start("icmpecho")
            defer { icmp.stop() }
            #expect(icmp.schedule.interval == 1)
            #expect(icmp.schedule.timeout == 0.75)

            #expect(try probe(icmp, ips, until: [healthy, healthy, healthy]) == [healthy, healthy, healthy])

            try lab.setLink(linkRouter, up: false)
            try lab.dropICMPEcho(filteredRouter)
            try lab.deleteNamespace(deletedRouter)
            let downVerdicts = try icmp.probe(ips, timeout: 0.5)
            #expect(downVerdicts == [failed, failed, failed], "\(downVerdicts.map(\.rawValue))")

            try lab.setLink(linkRouter, up: true)
            try lab.clearRules(filteredRouter)
            #expect(try probe(icmp, ips, until: [healthy, healthy, failed]) == [healthy, healthy, failed])

            let stats = icmp.info()["stats"] ?? [:]
            #expect(Int(stats["probes_sent"] ?? "") ?? 0 >= 6)
            #expect(stats["median_rtt"] != nil)
            #expect(stats["fastest_rtt"] != nil && stats["slowest_rtt"] != nil)
            #expect(icmp.info()["params"]?["socket"] == "raw")
        }
    }

    @Test("icmpecho verdicts drive the policy: failed at once, eligible after rise and hold-down", .timeLimit(.minutes(1)))
    func icmpechoThroughPolicy() throws {
        try RouterLab.with { lab in
            let router = try lab.addRouter()
            let address = try #require(IPAddress(router.ip))
            let driver = try HealthPlugins(options: ["icmp_check_interval": "0.2"])
            let icmp = try driver.start("icmpecho")
            defer { icmp.stop() }
            var tracker = HealthTracker(policy: try HealthPolicy(interval: .milliseconds(200), fall: 1, rise: 2, holdDown: .zero))
            tracker.updateTargets([address], at: MonotonicTime(nanoseconds: HealthPlugins.now()))
            func round() throws -> HealthRoundOutcome {
                let verdict = try icmp.probe([router.ip])[0]
                let result = ProbeResult(verdict == healthy ? .healthy : verdict == failed ? .failed : .unknown)
                return tracker.recordRound([address: result], at: MonotonicTime(nanoseconds: HealthPlugins.now()))
            }
            _ = try round()
            #expect(tracker.healthy == [address])
            try lab.dropICMPEcho(router)
            let failing = try round()
            #expect(failing.changed)
            #expect(tracker.failed == [address])
            try lab.clearRules(router)
            let firstBack = try round()
            #expect(!firstBack.changed)
            #expect(tracker.failed == [address]) // rise 2: one healthy round is not enough
            let secondBack = try round()
            #expect(secondBack.changed)
            #expect(tracker.healthy == [address])
        }
    }

    @Test("icmpecho ignores replies meant for another prober on the same host", .timeLimit(.minutes(1)))
    func icmpechoIgnoresOtherProbers() throws {
        try RouterLab.with { lab in
            let answering = try lab.addRouter()
            let silent = try lab.addRouter()
            try lab.dropICMPEcho(silent)
            let driver = try HealthPlugins(options: ["icmp_check_interval": "1"])
            let first = try driver.start("icmpecho")
            let second = try driver.start("icmpecho")
            defer {
                first.stop()
                second.stop()
            }
            // Both raw sockets see every echo reply; index 0 of each round is a different router.
            nonisolated(unsafe) var secondVerdicts: [vpcr_verdict] = []
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                secondVerdicts = (try? second.probe([answering.ip, answering.ip], timeout: 0.6)) ?? []
                done.signal()
            }
            let firstVerdicts = try first.probe([silent.ip], timeout: 0.6)
            done.wait()
            #expect(firstVerdicts == [failed])
            #expect(secondVerdicts == [healthy, healthy])
        }
    }

    @Test("tcp detects a closed port, a TCP drop rule, link down and a deleted namespace, and recovery (port 65535)", .timeLimit(.minutes(1)))
    func tcpFailureAndRecovery() throws {
        try RouterLab.with { lab in
            let port: UInt16 = 65535
            let routers = try (0..<4).map { _ in try lab.addRouter() }
            for router in routers { try lab.startListener(router, port: port) }
            let ips = routers.map(\.ip)
            let driver = try HealthPlugins(options: ["tcp_check_port": "65535", "tcp_check_interval": "1", "tcp_check_timeout": "0.4"])
            let tcp = try driver.start("tcp")
            defer { tcp.stop() }
            #expect(try probe(tcp, ips, until: [healthy, healthy, healthy, healthy]) == [healthy, healthy, healthy, healthy])

            lab.stopListeners(routers[0])
            try lab.dropTCP(routers[1], port: port)
            try lab.setLink(routers[2], up: false)
            try lab.deleteNamespace(routers[3])
            let started = HealthPlugins.now()
            #expect(try tcp.probe(ips, timeout: 0.8) == [failed, failed, failed, failed])
            // One poll loop: the timeouts overlap instead of adding up.
            #expect(Double(HealthPlugins.now() - started) / 1e9 < 0.75)

            try lab.startListener(routers[0], port: port)
            try lab.clearRules(routers[1])
            try lab.setLink(routers[2], up: true)
            #expect(try probe(tcp, ips, until: [healthy, healthy, healthy, failed], timeout: 0.8) == [healthy, healthy, healthy, failed])
            #expect(tcp.info()["stats"]?["connected"] != nil)
        }
    }

    @Test("tcp keeps to its socket limit with more targets than it may open at once", .timeLimit(.minutes(1)))
    func tcpManyTargets() throws {
        let bench = try healthBenchPath()
        try RouterLab.with { lab in
            let router = try lab.addRouter()
            try lab.startListener(router, port: 2222)
            // A descriptor limit of 256 allows 64 sockets at once; 150 targets need batches.
            // The listener's address many times over, plus an unused address in the lab's
            // range, refused by the unreachable route.
            let unused = "10.213.\(lab.subnet).250"
            let ips = Array(repeating: router.ip, count: 150) + [unused]
            let result = try Command.run([
                "prlimit", "--nofile=256:256", bench, "probe", "tcp", ips.joined(separator: ","), "tcp_check_port=2222",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let lines = result.standardOutput.split(separator: "\n").map(String.init)
            #expect(lines.contains("param max_open_sockets 64"))
            #expect(lines.filter { $0 == "\(router.ip) \(healthy.rawValue)" }.count == 150)
            #expect(lines.contains("\(unused) \(failed.rawValue)"))
        }
    }

    @Test("multi fails a router when any child does, and recovers when all agree", .timeLimit(.minutes(1)))
    func multiCombinesChildren() throws {
        try RouterLab.with { lab in
            let port: UInt16 = 8022
            let bothFine = try lab.addRouter()
            let icmpBlocked = try lab.addRouter()
            let portClosed = try lab.addRouter()
            for router in [bothFine, icmpBlocked, portClosed] { try lab.startListener(router, port: port) }
            let ips = [bothFine.ip, icmpBlocked.ip, portClosed.ip]
            let driver = try HealthPlugins(options: [
                "multi_plugins": "icmpecho:tcp", "tcp_check_port": "\(port)",
                "icmp_check_interval": "3", "tcp_check_interval": "1.5", "tcp_check_timeout": "0.4",
            ])
            let multi = try driver.start("multi")
            defer { multi.stop() }
            // Multi sets no schedule of its own: the fastest child's interval applies.
            #expect(multi.schedule.interval == 1.5)
            #expect(multi.info()["params"]?["multi_plugins"] == "icmpecho:tcp")

            #expect(try probe(multi, ips, until: [healthy, healthy, healthy]) == [healthy, healthy, healthy])
            try lab.dropICMPEcho(icmpBlocked)
            lab.stopListeners(portClosed)
            #expect(try multi.probe(ips, timeout: 0.6) == [healthy, failed, failed])
            try lab.clearRules(icmpBlocked)
            try lab.startListener(portClosed, port: port)
            #expect(try probe(multi, ips, until: [healthy, healthy, healthy], timeout: 0.6) == [healthy, healthy, healthy])
        }
    }

    @Test("icmpecho falls back to a datagram socket where ping_group_range allows it", .timeLimit(.minutes(1)))
    func icmpechoDatagramSocket() throws {
        let bench = try healthBenchPath()
        try RouterLab.with { lab in
            let prober = try lab.addNamespace("probe")
            try Command.check(["ip", "netns", "exec", prober, "sh", "-c", "echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range"])
            let router = try lab.addRouter(linkedTo: prober)
            let missing = "10.213.\(lab.subnet).3" // the other end of nothing: never answers
            // An unprivileged user has no CAP_NET_RAW, so only the datagram socket can open.
            let result = try Command.run([
                "ip", "netns", "exec", prober, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                bench, "probe", "icmpecho", "\(router.ip),127.0.0.1,\(missing)", "icmp_check_interval=1",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let lines = Set(result.standardOutput.split(separator: "\n").map(String.init))
            #expect(lines.contains("param socket datagram"))
            #expect(lines.contains("\(router.ip) \(healthy.rawValue)"))
            #expect(lines.contains("127.0.0.1 \(healthy.rawValue)"))
            #expect(lines.contains("\(missing) \(failed.rawValue)"))
        }
    }

    @Test("icmpecho refuses to start, saying what to grant, when no ICMP socket can be opened", .timeLimit(.minutes(1)))
    func icmpechoRefusesWithoutPrivileges() throws {
        let bench = try healthBenchPath()
        let range = try String(contentsOfFile: "/proc/sys/net/ipv4/ping_group_range", encoding: .utf8)
        let bounds = range.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        // Only meaningful where the test namespace does not let nobody use ping sockets.
        try #require(bounds.count == 2 && !(bounds[0]...max(bounds[0], bounds[1])).contains(65534) || bounds[0] > bounds[1])
        let result = try Command.run([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            bench, "probe", "icmpecho", "127.0.0.1",
        ])
        #expect(result.status == 2)
        #expect(result.standardOutput.isEmpty, "no verdicts when the plugin cannot run")
        #expect(result.standardError.contains("[\(VPCR_E_CONFIG)] icmpecho cannot open an ICMP socket"))
        #expect(result.standardError.contains("CAP_NET_RAW"))
        #expect(result.standardError.contains("net.ipv4.ping_group_range"))
    }
}

/// The HealthBench tool built next to the test runner; the tests run it as another user or in
/// another namespace.
private func healthBenchPath() throws -> String {
    let path = HealthPlugins.executableDirectory() + "/HealthBench"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw CommandFailure(arguments: [path], status: 127, output: "HealthBench is not built; run `swift build` first")
    }
    return path
}

/// The same plugins probing routers by their IPv6 addresses: ICMPv6 echo through icmpecho's second
/// socket, TCP connects over IPv6, and multi combining both.
@Suite("Health plugins against router namespaces over IPv6", .serialized, .enabled(if: isRoot, "needs root for network namespaces"))
struct PluginNetworkIPv6Tests {
    @Test("icmpecho probes IPv4 and IPv6 routers in one round; ICMPv6 failures are told apart from IPv4 ones", .timeLimit(.minutes(1)))
    func icmpechoBothFamilies() throws {
        try RouterLab.with { lab in
            let linkRouter = try lab.addRouter()
            let filteredRouter = try lab.addRouter()
            let deletedRouter = try lab.addRouter()
            let ips = [linkRouter.ip, linkRouter.ipv6, filteredRouter.ip, filteredRouter.ipv6, deletedRouter.ipv6]
            let driver = try HealthPlugins(options: ["icmp_check_interval": "1"])
            let icmp = try driver.start("icmpecho")
            defer { icmp.stop() }
            #expect(icmp.info()["params"]?["socket_v6"] == "raw")

            let allHealthy = [vpcr_verdict](repeating: healthy, count: 5)
            #expect(try probe(icmp, ips, until: allHealthy) == allHealthy)

            try lab.setLink(linkRouter, up: false)
            try lab.dropICMPv6Echo(filteredRouter)
            try lab.deleteNamespace(deletedRouter)
            let down = try icmp.probe(ips, timeout: 0.5)
            // The ICMPv6 drop rule leaves IPv4 echo alone: only the IPv6 verdict fails.
            #expect(down == [failed, failed, healthy, failed, failed], "\(down.map(\.rawValue))")

            try lab.setLink(linkRouter, up: true)
            try lab.clearRules(filteredRouter)
            let back = [healthy, healthy, healthy, healthy, failed]
            #expect(try probe(icmp, ips, until: back) == back)
            let stats = icmp.info()["stats"] ?? [:]
            #expect(Int(stats["probes_sent"] ?? "") ?? 0 >= 10)
        }
    }

    @Test("icmpecho answers for IPv6 routers through a datagram ICMPv6 socket too", .timeLimit(.minutes(1)))
    func icmpechoDatagramIPv6() throws {
        let bench = HealthPlugins.executableDirectory() + "/HealthBench"
        try #require(FileManager.default.isExecutableFile(atPath: bench), "HealthBench is not built")
        try RouterLab.with { lab in
            let prober = try lab.addNamespace("probe6")
            try Command.check(["ip", "netns", "exec", prober, "sh", "-c", "echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range"])
            let router = try lab.addRouter(linkedTo: prober)
            let missing = "\(lab.ipv6Prefix):3f::2" // no such router: never answers
            try Command.check("ip", "-n", prober, "-6", "route", "add", "unreachable", "\(lab.ipv6Prefix)::/48")
            let result = try Command.run([
                "ip", "netns", "exec", prober, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                bench, "probe", "icmpecho", "\(router.ipv6),\(router.ip),::1,\(missing)", "icmp_check_interval=1",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let lines = Set(result.standardOutput.split(separator: "\n").map(String.init))
            #expect(lines.contains("param socket_v6 datagram"), "\(result.standardOutput)")
            #expect(lines.contains("\(router.ipv6) \(healthy.rawValue)"))
            #expect(lines.contains("\(router.ip) \(healthy.rawValue)"))
            #expect(lines.contains("::1 \(healthy.rawValue)"))
            #expect(lines.contains("\(missing) \(failed.rawValue)"))
        }
    }

    @Test("tcp connects over IPv6: a listener is healthy, a closed port, a drop rule and link down fail", .timeLimit(.minutes(1)))
    func tcpOverIPv6() throws {
        try RouterLab.with { lab in
            let port: UInt16 = 8023
            let routers = try (0..<4).map { _ in try lab.addRouter() }
            for router in routers { try lab.startListener(router, port: port, ipv6: true) }
            let ips = routers.map(\.ipv6)
            let driver = try HealthPlugins(options: ["tcp_check_port": "\(port)", "tcp_check_interval": "1", "tcp_check_timeout": "0.4"])
            let tcp = try driver.start("tcp")
            defer { tcp.stop() }
            let allHealthy = [vpcr_verdict](repeating: healthy, count: 4)
            #expect(try probe(tcp, ips, until: allHealthy) == allHealthy)
            // Listening on the IPv6 address only: the IPv4 address of the same router refuses.
            #expect(try tcp.probe([routers[0].ip], timeout: 0.8) == [failed])

            lab.stopListeners(routers[1])
            try lab.dropTCP(routers[2], port: port)
            try lab.setLink(routers[3], up: false)
            #expect(try tcp.probe(ips, timeout: 0.8) == [healthy, failed, failed, failed])
            try lab.startListener(routers[1], port: port, ipv6: true)
            try lab.clearRules(routers[2])
            try lab.setLink(routers[3], up: true)
            #expect(try probe(tcp, ips, until: allHealthy) == allHealthy)
        }
    }

    @Test("multi combines icmpecho and tcp for IPv6 routers", .timeLimit(.minutes(1)))
    func multiOverIPv6() throws {
        try RouterLab.with { lab in
            let port: UInt16 = 8024
            let bothFine = try lab.addRouter()
            let icmpBlocked = try lab.addRouter()
            let portClosed = try lab.addRouter()
            for router in [bothFine, icmpBlocked, portClosed] { try lab.startListener(router, port: port, ipv6: true) }
            let ips = [bothFine.ipv6, icmpBlocked.ipv6, portClosed.ipv6]
            let driver = try HealthPlugins(options: [
                "multi_plugins": "icmpecho:tcp", "tcp_check_port": "\(port)",
                "icmp_check_interval": "3", "tcp_check_interval": "1.5", "tcp_check_timeout": "0.4",
            ])
            let multi = try driver.start("multi")
            defer { multi.stop() }
            #expect(try probe(multi, ips, until: [healthy, healthy, healthy]) == [healthy, healthy, healthy])
            try lab.dropICMPv6Echo(icmpBlocked)
            lab.stopListeners(portClosed)
            #expect(try multi.probe(ips, timeout: 0.6) == [healthy, failed, failed])
            try lab.clearRules(icmpBlocked)
            try lab.startListener(portClosed, port: port, ipv6: true)
            #expect(try probe(multi, ips, until: [healthy, healthy, healthy], timeout: 0.6) == [healthy, healthy, healthy])
        }
    }
}
