import Foundation
import Health
import Logging
import PluginHost
import Reconciler
import RouteModel
import Runtime
import ServiceLifecycle
import ServiceLifecycleTestKit
import StateStore
import Synchronization

/// The real runtime wired as `Daemon.swift` wires it (spec store, status, metrics, trigger, gate,
/// health and reconcile services, a state directory of its own), with a recording fake of the VPC,
/// a scripted probe and a manual clock in place of EC2, the health plugin and time.
final class RuntimeHarness: Sendable {
    static let routerA = IPAddress("10.0.1.10")!
    static let routerB = IPAddress("10.0.1.11")!
    static let routerC = IPAddress("10.0.1.12")!
    static let cidr1 = IPCIDR("10.55.0.0/24")!
    static let cidr2 = IPCIDR("10.56.0.0/24")!
    static let cidr3 = IPCIDR("10.57.0.0/24")!
    static let table = "rtb-main"
    static let schedule = HealthSchedule(interval: .seconds(1), timeout: .milliseconds(500))

    /// Routers A (eni-a) and B (eni-b) in one subnet served by the main table, whose routes for
    /// `cidr1` and `cidr2` point at A.
    static func twoRouterVPC() -> ObservedVPC {
        ObservedVPC(
            id: "vpc-1",
            routeTables: [
                ObservedRouteTable(id: table, isMain: true, routes: [
                    ObservedRoute(destination: cidr1, target: .networkInterface(id: "eni-a", instanceId: "i-a")),
                    ObservedRoute(destination: cidr2, target: .networkInterface(id: "eni-a", instanceId: "i-a")),
                ]),
            ],
            subnets: [ObservedSubnet(id: "subnet-1", availabilityZone: "az-1", cidr: IPCIDR("10.0.1.0/24")!)],
            networkInterfaces: [
                ObservedNetworkInterface(id: "eni-a", subnetId: "subnet-1", attachedInstanceId: "i-a", privateAddresses: [routerA]),
                ObservedNetworkInterface(id: "eni-b", subnetId: "subnet-1", attachedInstanceId: "i-b", privateAddresses: [routerB]),
            ])
    }

    /// `twoRouterVPC` with router C (eni-c) beside A and B.
    static func threeRouterVPC() -> ObservedVPC {
        var vpc = twoRouterVPC()
        vpc.networkInterfaces.append(
            ObservedNetworkInterface(id: "eni-c", subnetId: "subnet-1", attachedInstanceId: "i-c", privateAddresses: [routerC]))
        return vpc
    }

    let clock = ManualClock()
    let vpc: RecordingVPC
    let probe = ScriptedProbe(schedule: schedule)
    let metrics = DaemonMetrics()
    let specStore: RouteSpecStore
    let status: DaemonStatus
    let trigger: ReconcileTrigger
    let gate = StartupGate()
    let health: HealthService
    let reconcile: ReconcileService
    let stateDirectory: String
    /// Leadership as `writeAuthority` reports it; held unless a test takes it away.
    let leadership = LeadershipFlag()
    private let specGeneration = Mutex<UInt64>(0)

    /// The spec submitted before the services start.
    let initialSpec: [IPCIDR: [IPAddress]]
    /// The CIDRs whose router lists every submission gives in order of preference.
    let preferenceOrdered: Set<IPCIDR>

    init(vpc observed: ObservedVPC = twoRouterVPC(), spec: [IPCIDR: [IPAddress]]? = nil, preferenceOrdered: Set<IPCIDR> = [],
         recheck: Duration? = nil, fall: Int = 1, holdDown: Duration? = nil, failBackAfter: Duration? = nil) throws {
        initialSpec = spec ?? [Self.cidr1: [Self.routerA, Self.routerB], Self.cidr2: [Self.routerA, Self.routerB]]
        self.preferenceOrdered = preferenceOrdered
        let logger = Logger(label: "runtime-tests") { _ in SwiftLogNoOpLogHandler() }
        vpc = RecordingVPC(observed, clock: clock)
        specStore = RouteSpecStore(logger: logger, metrics: metrics, clock: clock)
        status = DaemonStatus(
            parameters: StatusParameters(region: "test-1", vpc: observed.id, address: "localhost", port: 0, logfile: "-", verbose: false,
                                         routeRecheckInterval: 0, ignoreRoutes: []),
            modeName: "test", healthName: probe.name, specStore: specStore, metrics: metrics, clock: clock)
        trigger = ReconcileTrigger(clock: clock)
        health = HealthService(
            plugin: probe, policy: try HealthPolicy(interval: Self.schedule.interval, fall: fall, holdDown: holdDown), specStore: specStore, status: status,
            metrics: metrics, trigger: trigger, gate: gate, clock: clock, logger: logger)
        stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-tests-\(UUID().uuidString)").path
        let stateStore = StateStore(directory: stateDirectory)
        try stateStore.prepare()
        let leadership = self.leadership
        reconcile = ReconcileService(
            access: vpc,
            settings: ReconcileService.Settings(policy: ReconcilePolicy(failBackAfter: failBackAfter), recheckInterval: recheck, dryRun: false),
            specStore: specStore, health: health, stateStore: stateStore, trigger: trigger, status: status, metrics: metrics,
            gate: gate, writeAuthority: { leadership.isLeader }, clock: clock, logger: logger)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }

    /// Submits a spec as a mode plugin would.
    func submit(_ routes: [IPCIDR: [IPAddress]]) {
        let generation = specGeneration.withLock { value -> UInt64 in
            value += 1
            return value
        }
        _ = specStore.accept(RouteSpecSubmission(spec: RouteSpec(routes, preferenceOrdered: preferenceOrdered), generation: generation, plugin: "test"))
    }

    /// Runs the health and reconcile services (the plugins are "started" at once: the gate opens)
    /// under a graceful-shutdown trigger, runs `scenario`, then stops them and waits for both to end.
    func run(_ scenario: @Sendable (GracefulShutdownTestTrigger) async throws -> Void) async throws {
        // The spec is in force before health starts, so the first round probes its routers.
        submit(initialSpec)
        let services = RunningServices()
        try await testGracefulShutdown { shutdown in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [health] in try await services.run { try await health.run() } }
                group.addTask { [reconcile] in try await services.run { try await reconcile.run() } }
                gate.open()
                do {
                    try await scenario(shutdown)
                } catch {
                    shutdown.triggerGracefulShutdown()
                    probe.release()
                    clock.advance(by: .seconds(3600))
                    throw error
                }
                shutdown.triggerGracefulShutdown()
                // The services must end on the stop request alone, with the clock standing still.
                // If they do not, the test fails, and the probe and the clock are let go so they can.
                do {
                    try await eventually("the services to end after the stop request", within: .seconds(20)) { services.running == 0 }
                } catch {
                    probe.release()
                    clock.advance(by: .seconds(3600))
                    try await group.waitForAll()
                    throw error
                }
                try await group.waitForAll()
            }
        }
    }

    /// Waits for the first pass with health to finish and the start-up passes to end (one health
    /// round, both routes left on router A).
    func settled() async throws {
        try await eventually("the first pass with health") { health.snapshot.firstRoundCompleted && reconcile.passes >= 1 && status.readinessGaps().isEmpty }
        try await quiet()
    }

    /// Waits until no pass is running or queued and nothing is in flight at the fake VPC. A pass
    /// counts as finished when `passes` grows; the runtime then has nothing left to do when the
    /// count holds for half a second of real time: only the start-up passes, whose triggers coalesce
    /// in any number, need this; scenarios then wait for the passes they cause by count.
    func quiet() async throws {
        var last = reconcile.passes
        var stableChecks = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while stableChecks < 50 {
            guard ContinuousClock.now < deadline else { throw HarnessTimeout(what: "the reconciler to go quiet") }
            try await Task.sleep(for: .milliseconds(10))
            let now = reconcile.passes
            if now == last, vpc.inFlight == 0, !trigger.healthChangePending { stableChecks += 1 } else { stableChecks = 0 }
            last = now
        }
    }

    /// Moves the manual clock one health interval on, so the next round runs, and waits for it.
    func nextHealthRound() async throws {
        let before = probe.rounds
        clock.advance(by: Self.schedule.interval)
        try await eventually("the next health round") { probe.rounds > before }
    }

    /// Submits the initial spec again (a new generation) and waits for the pass it causes.
    func passWithTheSameSpec() async throws {
        let passes = reconcile.passes
        submit(initialSpec)
        try await waitForPasses(passes + 1)
        try await quiet()
    }

    /// Waits for the pass count to reach `count`.
    func waitForPasses(_ count: UInt64) async throws {
        try await eventually("\(count) passes") { reconcile.passes >= count }
    }
}

/// A condition that did not hold within a generous real-time bound.
struct HarnessTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds; the bound (30 s of real time) is for a stuck test, not for its logic.
func eventually(_ what: String, within limit: Duration = .seconds(30), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw HarnessTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(2))
    }
}
