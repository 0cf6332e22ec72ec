// Measures leader election between two vpcrouter replicas against moto and a real etcd:
//   takeover: from SIGKILL of the leader until the other replica has made its first route write
//             (a stray route put into a managed table after the kill, deleted by the new leader);
//   non-leader writes: route writes counted at the follower's own fault proxy while it follows.
// Usage: swift build && swift run LeaderBench [--ttl SECONDS] [--runs N]; the last line is `BENCH {json}`.
import EC2
import Foundation
import RouteModel
import TestSupport

var ttl = 2
var runs = 3
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--ttl": ttl = Int(arguments.popFirst() ?? "") ?? ttl
    case "--runs": runs = Int(arguments.popFirst() ?? "") ?? runs
    default:
        FileHandle.standardError.write(Data("usage: LeaderBench [--ttl SECONDS] [--runs N]\n".utf8))
        exit(2)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
}

func waitFor(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw BenchFailure(description: "timed out waiting for \(what)")
}

let moto = try await MotoServer.start()
defer { moto.stop() }
let etcd = try await EtcdServer.start()
defer { etcd.discard() }
let fixture = try moto.makeFixture()
let ec2 = moto.client(for: fixture)
let stray = try IPCIDR.parseAddressOrCIDR("10.98.0.0/16").get()

func strayRoutePresent() async throws -> Bool {
    try await ec2.describeRouteTables(vpcId: fixture.vpcId).first { $0.routeTableId == fixture.routeTableA }?.route(to: "10.98.0.0/16") != nil
}

// No router answers health checks here, so the replicas' only writes are deletions of unowned
// instance routes in the router's table (--delete-unowned-routes): enough to see who writes.
let replicaArguments = [
    "-m", "fixedconf", "--fixed_cidr", "10.99.0.0/16", "--fixed_hosts", "10.0.1.10",
    "-H", "tcp", "--tcp_check_port", "9", "--tcp_check_interval", "0.5", "--tcp_check_timeout", "0.2",
    "--route_recheck_interval", "5", "--delete-unowned-routes",
]

var takeovers: [Double] = []
var nonLeaderWrites = 0
var countedRuns = 0
for run in 1...runs {
    let key = "/vpcrouter/bench/leader-\(run)"
    let first = try await LeaderReplica.start(name: "replica-1", moto: moto, fixture: fixture, etcd: etcd, ttl: ttl, key: key, arguments: replicaArguments)
    let second = try await LeaderReplica.start(name: "replica-2", moto: moto, fixture: fixture, etcd: etcd, ttl: ttl, key: key, arguments: replicaArguments)
    defer { first.stop(); second.stop() }
    var leader: LeaderReplica?
    try await waitFor("a leader") {
        let roles = [await first.role(), await second.role()]
        leader = roles[0] == "leader" ? first : roles[1] == "leader" ? second : nil
        return Set(roles) == ["leader", "follower"]
    }
    guard let leader else { throw BenchFailure(description: "no leader") }
    let follower = leader === first ? second : first
    // The leader cleans up a stray route; the follower sees the same plan and must not write.
    try await ec2.createRoute(routeTableId: fixture.routeTableA, destination: stray, networkInterfaceId: fixture.eniB)
    try await waitFor("the leader's cleanup") { !(try await strayRoutePresent()) }
    try await Task.sleep(for: .seconds(1))
    // Counted only when leadership stayed put for the whole phase: if etcd answered too slowly for
    // the leader to renew, the follower legitimately became leader and its writes are not a fault.
    let roleNow = [await leader.role(), await follower.role()]
    if roleNow == ["leader", "follower"] && !follower.daemon.output.contains("leadership acquired") {
        nonLeaderWrites += try await follower.routeWrites()
        countedRuns += 1
    } else {
        print("run \(run): leadership moved before the kill (etcd answered too slowly); its follower writes are not counted")
        continue
    }

    let killedAt = ContinuousClock.now
    leader.kill()
    try await ec2.createRoute(routeTableId: fixture.routeTableA, destination: stray, networkInterfaceId: fixture.eniB)
    try await waitFor("the takeover write") { !(try await strayRoutePresent()) }
    let takeover = ContinuousClock.now - killedAt
    takeovers.append(Double(takeover.components.seconds) + Double(takeover.components.attoseconds) / 1e18)
    print(String(format: "run %d: takeover after SIGKILL of the leader %.2f s (lease TTL %d s)", run, takeovers.last!, ttl))
}
guard !takeovers.isEmpty else {
    print("no run completed: leadership kept moving (is etcd starved?)")
    etcd.discard()
    moto.stop()
    exit(1)
}

let sorted = takeovers.sorted()
print(String(format: "leader takeover (SIGKILL -> first write by the new leader), TTL %d s, %d runs: median %.2f s, max %.2f s",
             ttl, takeovers.count, sorted[sorted.count / 2], sorted.last!))
print("route writes by non-leaders: \(nonLeaderWrites) (in \(countedRuns) runs with a stable leader)")
let summary: [String: Any] = [
    "ttl_s": ttl, "runs": takeovers.count, "takeover_median_s": sorted[sorted.count / 2], "takeover_max_s": sorted.last!,
    "takeover_samples_s": takeovers, "non_leader_writes": nonLeaderWrites, "counted_runs": countedRuns,
]
print("BENCH " + String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
