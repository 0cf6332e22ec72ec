// Times plan() on a large VPC: 1,000 CIDRs in each of 200 route tables, 1,000 routers.
// Run with `swift run -c release PlanBenchmark [--fresh-strings]`. Targets: median under 50 ms,
// peak RSS under 50 MB.
#if canImport(Glibc)
import Glibc
#endif
import Reconciler
import RouteModel

let cidrCount = 1_000
let tableCount = 200
let routerCount = 1_000
let routersPerCIDR = 3
/// PLAN_BENCHMARK_RUNS overrides the number of timed runs (for profiling under valgrind, say).
let runs = getenv("PLAN_BENCHMARK_RUNS").flatMap { Int(String(cString: $0)) }.map { max(1, $0) } ?? 21

/// `--fresh-strings`: give every route its own copies of the id strings, as a parser that does not
/// intern ids produces them. By default routes share the interface's strings, as an adapter that
/// interns the ids it parses (one string per ENI, not one per route and table) does.
let freshStrings = CommandLine.arguments.contains("--fresh-strings")

func fresh(_ text: String) -> String { String(decoding: Array(text.utf8), as: UTF8.self) }

func hexId(_ prefix: String, _ number: Int) -> String {
    let hex = String(number, radix: 16)
    return prefix + String(repeating: "0", count: 17 - hex.count) + hex
}

/// Routers 10.0.x.y spread over the tables' subnets (5 per subnet); each table serves one subnet.
func makeScenario() -> (RouteSpec, HealthSnapshot, ObservedVPC) {
    var subnets: [ObservedSubnet] = []
    var interfaces: [ObservedNetworkInterface] = []
    var routers: [IPAddress] = []
    for table in 0..<tableCount {
        subnets.append(ObservedSubnet(id: hexId("subnet-", table), availabilityZone: "az\(table % 3)",
                                      cidr: IPCIDR(network: IPAddress.v4(IPv4Address(0x0a00_0000 | UInt32(table) << 8)), prefixLength: 24)))
    }
    for router in 0..<routerCount {
        let table = router % tableCount
        let address = IPAddress.v4(IPv4Address(0x0a00_0000 | UInt32(table) << 8 | UInt32(10 + router / tableCount)))
        routers.append(address)
        interfaces.append(ObservedNetworkInterface(
            id: hexId("eni-", router), subnetId: subnets[table].id, attachedInstanceId: hexId("i-", router),
            privateAddresses: [address]))
    }
    var routes: [IPCIDR: [IPAddress]] = [:]
    var cidrs: [IPCIDR] = []
    for number in 0..<cidrCount {
        let cidr = IPCIDR(network: IPAddress.v4(IPv4Address(0xac10_0000 | UInt32(number) << 4)), prefixLength: 28)
        cidrs.append(cidr)
        routes[cidr] = (0..<routersPerCIDR).map { routers[(number * 7 + $0 * 331) % routerCount] }
    }
    let spec = RouteSpec(routes)
    // Steady state: every route already points at the CIDR's first listed router; 5% of the
    // routers have failed, so their CIDRs fail over.
    var statuses: [IPAddress: RouterCondition] = [:]
    for (index, router) in routers.enumerated() { statuses[router] = index % 20 == 0 ? .failed : .healthy }
    let interfaceByAddress = Dictionary(uniqueKeysWithValues: interfaces.map { ($0.privateAddresses[0], $0) })
    var tables: [ObservedRouteTable] = []
    for table in 0..<tableCount {
        var tableRoutes = [ObservedRoute(destination: IPCIDR("10.0.0.0/16")!, target: .other(id: "local"), origin: .createRouteTable)]
        tableRoutes.reserveCapacity(cidrCount + 1)
        for cidr in cidrs {
            let eni = interfaceByAddress[spec[cidr]![0]]!
            tableRoutes.append(ObservedRoute(destination: cidr, target: .networkInterface(
                id: freshStrings ? fresh(eni.id) : eni.id,
                instanceId: freshStrings ? eni.attachedInstanceId.map(fresh) : eni.attachedInstanceId)))
        }
        tables.append(ObservedRouteTable(id: hexId("rtb-", table), isMain: table == 0,
                                         subnetIds: [subnets[table].id], routes: tableRoutes))
    }
    let vpc = ObservedVPC(id: "vpc-0123456789abcdef0", routeTables: tables, subnets: subnets, networkInterfaces: interfaces)
    return (spec, HealthSnapshot(statuses, firstRoundCompleted: true), vpc)
}

func peakRSSKilobytes() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let bytes = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("VmHWM:") else { continue }
        // "VmHWM:\t   12345 kB"
        return Int(text.dropFirst(6).filter { $0.isNumber }) ?? -1
    }
    return -1
}

let (spec, health, vpc) = makeScenario()
// Every spec route already in a table is one vpcrouter wrote.
let ledger = OwnershipLedger(vpc.routeTables.flatMap { table in
    table.routes.compactMap { route -> OwnedRoute? in
        guard spec[route.destination] != nil, case .networkInterface(let eni, _) = route.target else { return nil }
        return OwnedRoute(tableId: table.id, cidr: route.destination, networkInterfaceId: eni)
    }
})
let policy = ReconcilePolicy()
let afterSetupKB = peakRSSKilobytes()

/// CPU time of this thread in milliseconds: on a shared machine wall time also counts the time
/// other processes held the core, so both are reported.
func threadCPUMilliseconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) * 1000 + Double(now.tv_nsec) / 1e6
}

var timings: [Double] = []
var cpuTimings: [Double] = []
var summary = ""
let clock = ContinuousClock()
for _ in 0..<runs {
    let cpuStart = threadCPUMilliseconds()
    let start = clock.now
    let result = plan(spec: spec, health: health, observed: vpc, ledger: ledger, policy: policy)
    let elapsed = clock.now - start
    cpuTimings.append(threadCPUMilliseconds() - cpuStart)
    timings.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    if summary.isEmpty {
        var counts: [RouteAction.Verb: Int] = [:]
        for action in result.actions { counts[action.verb, default: 0] += 1 }
        summary = RouteAction.Verb.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", ")
            + ", failovers \(result.failovers.count)"
    }
}
timings.sort()
cpuTimings.sort()
func percentile(_ p: Double, of sorted: [Double]) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded(.up)))]
}
let peakKB = peakRSSKilobytes()
print("plan(): \(cidrCount) CIDRs x \(tableCount) tables, \(routerCount) routers, \(runs) runs, "
      + (freshStrings ? "fresh id strings per route" : "interned id strings"))
print("actions: \(summary)")
func milliseconds(_ value: Double) -> String { "\((value * 10).rounded() / 10) ms" }
print("wall: median \(milliseconds(percentile(0.5, of: timings))), p99 \(milliseconds(percentile(0.99, of: timings))), min \(milliseconds(timings[0]))")
print("cpu:  median \(milliseconds(percentile(0.5, of: cpuTimings))), p99 \(milliseconds(percentile(0.99, of: cpuTimings))), min \(milliseconds(cpuTimings[0]))")
print("peak RSS \(peakKB / 1024) MB (\(afterSetupKB / 1024) MB after building the VPC)")
// One machine-readable line for scripts/bench.py.
print("BENCH {\"benchmark\": \"PlanBenchmark\", \"cidrs\": \(cidrCount), \"tables\": \(tableCount), \"routers\": \(routerCount), "
      + "\"runs\": \(runs), \"wall_median_ms\": \(percentile(0.5, of: timings)), \"wall_p99_ms\": \(percentile(0.99, of: timings)), "
      + "\"cpu_median_ms\": \(percentile(0.5, of: cpuTimings)), \"peak_rss_kib\": \(peakKB)}")
