import Foundation
import Glibc
import HealthPluginHarness
import PluginABI

// `HealthBench bench`: probes many loopback addresses (all of 127.0.0.0/8 answers on `lo`)
// for a number of rounds at a fixed interval and reports CPU time per round and per probe,
// and the resident set size. With fping installed it measures fping on the same targets.
// A measurement to run by hand (ideally from a release build), not a test.

struct BenchSettings {
    var rounds = 10
    var interval = 1.0
    var icmpTargets = 10_000
    var tcpTargets = 5_000
    var tcpPort: UInt16 = 47_999

    init(_ arguments: [String]) {
        var remaining = arguments[...]
        while let flag = remaining.popFirst() {
            guard let value = remaining.popFirst() else { usage() }
            switch flag {
            case "--rounds": rounds = Int(value) ?? rounds
            case "--interval": interval = Double(value) ?? interval
            case "--icmp-targets": icmpTargets = Int(value) ?? icmpTargets
            case "--tcp-targets": tcpTargets = Int(value) ?? tcpTargets
            case "--tcp-port": tcpPort = UInt16(value) ?? tcpPort
            default: usage()
            }
        }
    }
}

/// User plus system CPU seconds of the calling thread, the whole process or reaped children.
func cpuSeconds(_ who: Int32) -> Double {
    var usage = rusage()
    getrusage(who, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// VmRSS and VmHWM from /proc/self/status, in KiB.
func residentKilobytes() -> (current: Int, peak: Int) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Int {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "") ?? 0
        }
        return 0
    }
    return (field("VmRSS"), field("VmHWM"))
}

/// Distinct loopback addresses starting at 127.1.0.1, skipping .0 and .255 host bytes.
func loopbackTargets(_ count: Int, secondOctet: Int) -> [String] {
    var targets: [String] = []
    var third = 0
    var fourth = 1
    while targets.count < count {
        targets.append("127.\(secondOctet).\(third).\(fourth)")
        fourth += 1
        if fourth == 255 {
            fourth = 1
            third += 1
        }
    }
    return targets
}

struct RoundFigures {
    var wall: [Double] = []
    var threadCPU: [Double] = []
    var processCPU: [Double] = []
    var healthy: [Int] = []

    /// Mean CPU seconds of the whole process per probe.
    func cpuPerProbe(targets: Int) -> Double {
        processCPU.reduce(0, +) / Double(max(processCPU.count * targets, 1))
    }

    func report(_ name: String, targets: Int) {
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
        let cpuPerRound = mean(processCPU)
        print(String(format: "%@: %d targets x %d rounds: wall %.1f ms/round (max %.1f), CPU %.1f ms/round (probe thread %.1f), %.2f us CPU/probe, healthy/round min %d max %d",
                     name, targets, wall.count, mean(wall) * 1e3, (wall.max() ?? 0) * 1e3, cpuPerRound * 1e3, mean(threadCPU) * 1e3,
                     cpuPerRound / Double(targets) * 1e6, healthy.min() ?? 0, healthy.max() ?? 0))
    }
}

/// Runs `rounds` probe rounds on the interval grid and measures each.
func measure(_ instance: HealthPluginRun, _ targets: [String], settings: BenchSettings) throws -> RoundFigures {
    var figures = RoundFigures()
    var nextStart = HealthPlugins.now()
    for _ in 0..<settings.rounds {
        let now = HealthPlugins.now()
        if nextStart > now {
            usleep(useconds_t((nextStart - now) / 1000))
        }
        let wallBefore = HealthPlugins.now()
        let threadBefore = cpuSeconds(1) // RUSAGE_THREAD
        let processBefore = cpuSeconds(RUSAGE_SELF.rawValue)
        let verdicts = try instance.probe(targets)
        figures.processCPU.append(cpuSeconds(RUSAGE_SELF.rawValue) - processBefore)
        figures.threadCPU.append(cpuSeconds(1) - threadBefore)
        let wallAfter = HealthPlugins.now()
        figures.wall.append(Double(wallAfter - wallBefore) / 1e9)
        figures.healthy.append(verdicts.filter { $0 == VPCR_VERDICT_HEALTHY }.count)
        nextStart += UInt64(settings.interval * 1e9)
        while nextStart < wallAfter { nextStart += UInt64(settings.interval * 1e9) }
    }
    return figures
}

/// Accepts and closes connections on 0.0.0.0:port so every 127/8 connect succeeds.
func startAcceptLoop(port: UInt16) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var reuse: Int32 = 1
    _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(descriptor, 4096) == 0 else { return false }
    Thread.detachNewThread {
        while true {
            let connection = accept(descriptor, nil, nil)
            if connection >= 0 { close(connection) }
        }
    }
    return true
}

func runBenchmark(_ arguments: [String]) {
    let settings = BenchSettings(arguments)
    let residentAtStart = residentKilobytes()
    print("HealthBench: \(settings.rounds) rounds at \(settings.interval) s; RSS at start \(residentAtStart.current) KiB")
    do {
        let driver = try HealthPlugins(options: [
            "icmp_check_interval": "\(settings.interval)",
            "tcp_check_interval": "\(settings.interval)",
            "tcp_check_port": "\(settings.tcpPort)",
        ])
        let icmpTargets = loopbackTargets(settings.icmpTargets, secondOctet: 1)
        let icmp = try driver.start("icmpecho")
        let icmpFigures = try measure(icmp, icmpTargets, settings: settings)
        icmpFigures.report("icmpecho", targets: icmpTargets.count)
        print("icmpecho stats: \((icmp.info()["stats"] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        let residentAfterICMP = residentKilobytes()
        print("RSS after icmpecho: \(residentAfterICMP.current) KiB (peak \(residentAfterICMP.peak) KiB)")
        icmp.stop()

        let tcpTargets = loopbackTargets(settings.tcpTargets, secondOctet: 2)
        if !startAcceptLoop(port: settings.tcpPort) {
            print("tcp: could not listen on port \(settings.tcpPort); connects will be refused")
        }
        let tcp = try driver.start("tcp")
        let tcpFigures = try measure(tcp, tcpTargets, settings: settings)
        tcpFigures.report("tcp (connects accepted)", targets: tcpTargets.count)
        print("tcp stats: \((tcp.info()["stats"] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        let residentAfterTCP = residentKilobytes()
        print("RSS after tcp: \(residentAfterTCP.current) KiB (peak \(residentAfterTCP.peak) KiB)")
        tcp.stop()

        let icmpPerProbe = icmpFigures.cpuPerProbe(targets: icmpTargets.count)
        let fpingPerProbe = measureFping(icmpTargets, settings: settings, icmpCPUPerProbe: icmpPerProbe)
        var summary: [String: Any] = [
            "benchmark": "HealthBench", "rounds": settings.rounds, "interval_s": settings.interval,
            "icmp_targets": icmpTargets.count, "icmp_cpu_us_per_probe": icmpPerProbe * 1e6,
            "icmp_healthy_min": icmpFigures.healthy.min() ?? 0,
            "tcp_targets": tcpTargets.count, "tcp_cpu_us_per_probe": tcpFigures.cpuPerProbe(targets: tcpTargets.count) * 1e6,
            "tcp_healthy_min": tcpFigures.healthy.min() ?? 0,
            "peak_rss_kib": residentAfterTCP.peak,
        ]
        if let fpingPerProbe { summary["fping_cpu_us_per_probe"] = fpingPerProbe * 1e6 }
        printSummaryLine(summary)
    } catch {
        print("benchmark failed: \(error)")
        exit(1)
    }
}

/// One machine-readable line, `BENCH {json}`, that scripts/bench.py collects.
func printSummaryLine(_ figures: [String: Any]) {
    guard let data = try? JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]) else { return }
    print("BENCH " + String(decoding: data, as: UTF8.self))
}

/// fping on the same targets, once per round, CPU time from the reaped child's rusage.
/// Returns fping's CPU seconds per probe, nil without fping.
func measureFping(_ targets: [String], settings: BenchSettings, icmpCPUPerProbe: Double) -> Double? {
    let candidates = ["/usr/bin/fping", "/usr/sbin/fping", "/bin/fping"]
    guard let fping = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        print("fping: not installed (apt-get install -y fping); no comparison")
        return nil
    }
    let listPath = NSTemporaryDirectory() + "healthbench-targets-\(getpid())"
    _ = FileManager.default.createFile(atPath: listPath, contents: Data(targets.joined(separator: "\n").utf8))
    defer { try? FileManager.default.removeItem(atPath: listPath) }
    var cpu: [Double] = []
    var wall: [Double] = []
    let timeout = Int(settings.interval * 750)
    for _ in 0..<settings.rounds {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fping)
        // One echo per target, no retries, no pause between targets, quiet: as one round.
        process.arguments = ["-q", "-r", "0", "-i", "0", "-t", "\(timeout)", "-f", listPath]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let before = cpuSeconds(RUSAGE_CHILDREN.rawValue)
        let start = HealthPlugins.now()
        do {
            try process.run()
        } catch {
            print("fping: could not run: \(error)")
            return nil
        }
        process.waitUntilExit()
        wall.append(Double(HealthPlugins.now() - start) / 1e9)
        cpu.append(cpuSeconds(RUSAGE_CHILDREN.rawValue) - before)
    }
    let perProbe = cpu.reduce(0, +) / Double(cpu.count * targets.count)
    print(String(format: "fping: %d targets x %d rounds: wall %.1f ms/round, CPU %.1f ms/round, %.2f us CPU/probe; icmpecho/fping CPU ratio %.2f",
                 targets.count, cpu.count, wall.reduce(0, +) / Double(wall.count) * 1e3, cpu.reduce(0, +) / Double(cpu.count) * 1e3,
                 perProbe * 1e6, icmpCPUPerProbe / perProbe))
    return perProbe
}
