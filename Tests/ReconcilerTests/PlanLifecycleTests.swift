import RouteModel
import Testing
@testable import Reconciler

/// Multi-pass behaviour, holds, notes, determinism and the ledger.
@Suite struct PlanLifecycleTests {
    let cidr55 = cidr("10.55.0.0/16")
    var spec: RouteSpec { RouteSpec([cidr55: [Fixture.r1, Fixture.r2]]) }

    /// The original's failover sequence: healthy, then questionable, then failed, then all failed,
    /// then recovery, applying each plan before the next pass.
    @Test func followsTheFailoverSequenceWithoutFailingBack() {
        var vpc = Fixture.vpc(routes: Fixture.everywhere(Fixture.toENI("10.55.0.0/16", "eni-1"), tables: ["rtb-a", "rtb-b"]))
        var ledger = OwnershipLedger()
        let r1 = Fixture.r1, r2 = Fixture.r2
        let steps: [(HealthSnapshot, [String])] = [
            (Fixture.health(), []),
            (Fixture.health([r1: .questionable]), ["replace rtb-a 10.55.0.0/16 eni-1>eni-2", "replace rtb-b 10.55.0.0/16 eni-1>eni-2"]),
            (Fixture.health([r1: .failed]), []),  // already moved off r1
            (Fixture.health([r1: .failed, r2: .failed]), []),  // nowhere to go: left on r2
            (Fixture.health([r2: .failed]), ["replace rtb-a 10.55.0.0/16 eni-2>eni-1 !", "replace rtb-b 10.55.0.0/16 eni-2>eni-1 !"]),
            (Fixture.health(), []),  // r2 recovered: no fail-back
        ]
        for (number, (health, expectedWrites)) in steps.enumerated() {
            let result = plan(spec: spec, health: health, observed: vpc, ledger: ledger, policy: ReconcilePolicy())
            #expect(result.writes.map(line) == expectedWrites, "step \(number)")
            vpc = applying(result, to: vpc)
            ledger = result.nextLedgerIfAllSucceed
        }
        let allFailed = plan(spec: spec, health: Fixture.health([r1: .failed, r2: .failed]), observed: vpc,
                             ledger: ledger, policy: ReconcilePolicy())
        #expect(allFailed.notes.map(\.kind) == [.noEligibleRouter])
        #expect(allFailed.notes.first?.message == "no eligible router: 10.0.1.10 (failed), 10.0.2.21 (failed)")
        #expect(allFailed.actions.allSatisfy { $0.verb == .keep && $0.reason == "no eligible router; left as it is" })
    }

    enum Missing: String, CaseIterable, Sendable { case spec, observation, healthRound }

    @Test(arguments: Missing.allCases)
    func holdsUntilSpecObservationAndFirstHealthRoundExist(_ missing: Missing) {
        let vpc = Fixture.vpc(routes: ["rtb-a": [Fixture.toENI("10.55.0.0/16", "eni-9"), Fixture.toENI("10.77.0.0/16", "eni-1")]])
        var health = Fixture.health([Fixture.r1: .failed])
        if missing == .healthRound { health.firstRoundCompleted = false }
        let ledger = OwnershipLedger([owned("rtb-a", "10.77.0.0/16", "eni-1")])
        let result = plan(spec: missing == .spec ? nil : spec, health: health,
                          observed: missing == .observation ? nil : vpc, ledger: ledger, policy: ReconcilePolicy())
        #expect(result.isHeld)
        #expect(!result.actions.isEmpty)
        #expect(result.actions.allSatisfy { $0.verb == .hold })
        #expect(result.nextLedgerIfAllSucceed == ledger)
        let expectedReason: RouteAction.Reason = switch missing {
        case .spec: .noSpec
        case .observation: .noObservation
        case .healthRound: .noFirstHealthRound
        }
        #expect(result.actions.first?.reasonCode == expectedReason)
    }

    @Test func changesNothingWhenNoSpecRouterIsInTheVPC() {
        // A wrong VPC id looks like this: none of the routers exist. Routes there must not be touched.
        let spec = RouteSpec([cidr55: [ip("192.168.9.9")], cidr("10.77.0.0/16"): []])
        let vpc = Fixture.vpc(routes: ["rtb-a": [Fixture.toENI("10.55.0.0/16", "eni-1"), Fixture.toENI("10.77.0.0/16", "eni-1")]])
        let result = plan(spec: spec, health: Fixture.health(), observed: vpc, ledger: OwnershipLedger([owned("rtb-a", "10.55.0.0/16", "eni-1")]), policy: ReconcilePolicy())
        #expect(result.isHeld)
        #expect(result.writes.isEmpty)
        #expect(result.notes.map(\.kind) == [.routerNotInVPC, .noRouterInVPC])
        #expect(result.notes[0].message == "router 192.168.9.9 (listed for 10.55.0.0/16) is not a private IP of any network interface in vpc-1")
    }

    @Test func changesNothingInAnEmptyVPC() {
        let result = plan(spec: spec, health: Fixture.health(), observed: ObservedVPC(id: "vpc-empty"),
                          ledger: OwnershipLedger(), policy: ReconcilePolicy())
        #expect(result.isHeld)
        #expect(result.writes.isEmpty)
        #expect(result.notes.contains { $0.kind == .noRouterInVPC })
    }

    @Test func reportsATableSelectionThatFindsNothing() {
        let byId = plan(spec: spec, health: Fixture.health(), observed: Fixture.vpc(), ledger: OwnershipLedger(),
                        policy: ReconcilePolicy(tableSelection: .tableIds(["rtb-gone"])))
        #expect(byId.isHeld)
        #expect(byId.notes.map(\.kind) == [.tableNotFound, .noManagedTables])

        var tagged = Fixture.vpc()
        tagged.routeTables[3].tags = ["vpcrouter": "managed"]  // rtb-d
        let byTag = plan(spec: spec, health: Fixture.health(), observed: tagged, ledger: OwnershipLedger(),
                         policy: ReconcilePolicy(tableSelection: .tag(key: "vpcrouter", value: "managed")))
        #expect(byTag.managedTableIds == ["rtb-d"])
        #expect(byTag.writes.map(\.tableId) == ["rtb-d"])
    }

    @Test func aSpecOfRemovalsOnlyNeedsNamedTables() {
        // With no router listed, nothing says which tables are the cluster's: automatic selection
        // holds and says why; named tables let the removals through.
        let removals = RouteSpec([cidr("10.77.0.0/16"): []])
        let vpc = Fixture.vpc(routes: ["rtb-a": [Fixture.toENI("10.77.0.0/16", "eni-1")]])
        let automatic = plan(spec: removals, health: Fixture.health(), observed: vpc, ledger: OwnershipLedger(), policy: ReconcilePolicy())
        #expect(automatic.isHeld)
        #expect(automatic.notes.map(\.kind) == [.noManagedTables])
        let named = plan(spec: removals, health: Fixture.health(), observed: vpc, ledger: OwnershipLedger(),
                         policy: ReconcilePolicy(tableSelection: .tableIds(["rtb-a"])))
        #expect(lines(named) == ["delete rtb-a 10.77.0.0/16 eni-1"])
        #expect(named.nextLedger(succeeded: []) == OwnershipLedger())
        #expect(named.nextLedgerIfAllSucceed == OwnershipLedger())
        let status = ReconcileStatus(plan: automatic, spec: removals, observed: vpc)
        #expect(status.isHeld && status.cidrs.map(\.lastAction) == [.hold])
    }

    @Test func anIgnoredDefaultRouteProtectsOnlyTheDefaultRoute() {
        // The Romana container's `--ignore_routes 0.0.0.0/0`: the spec's routes are still written.
        let result = plan(spec: spec, health: Fixture.health(), observed: Fixture.vpc(), ledger: OwnershipLedger(),
                          policy: ReconcilePolicy(ignoredCIDRs: [cidr("0.0.0.0/0")]))
        #expect(result.notes.isEmpty)
        #expect(!result.writes.isEmpty)
        #expect(!lines(result).contains { $0.hasPrefix("ignore") })
    }

    @Test(arguments: [
        ("0.0.0.0/0", "0.0.0.0/0", true), ("0.0.0.0/0", "10.55.0.0/16", false), ("0.0.0.0/0", "0.0.0.0/1", false),
        ("0.0.0.0/1", "0.0.0.0/0", false), ("0.0.0.0/1", "10.55.0.0/16", true), ("10.0.0.0/8", "10.55.0.0/16", true),
        ("10.55.0.0/16", "10.55.0.0/16", true), ("10.55.0.0/16", "10.0.0.0/8", false), ("10.55.0.0/16", "10.56.0.0/16", false),
    ])
    func ignoreRuleOfTheOriginal(entry: String, destination: String, protected: Bool) {
        let policy = ReconcilePolicy(ignoredCIDRs: [cidr(entry)])
        #expect((policy.ignoreEntry(covering: cidr(destination)) != nil) == protected)
    }

    @Test func givesTheSamePlanForTheSameInputsInAnyOrder() {
        let spec = RouteSpec(Dictionary(uniqueKeysWithValues: (0..<64).map {
            (IPCIDR(network: IPAddress.v4(IPv4Address(0x0a40_0000 | UInt32($0) << 8)), prefixLength: 24), [Fixture.r1, Fixture.r2, Fixture.r3])
        }))
        let vpc = Fixture.vpc(routes: ["rtb-a": [Fixture.toENI("10.64.3.0/24", "eni-9")], "rtb-b": [Fixture.toENI("10.64.7.0/24", "eni-3")]])
        var shuffled = vpc
        shuffled.routeTables.reverse()
        shuffled.networkInterfaces.reverse()
        shuffled.subnets.reverse()
        let health = Fixture.health([Fixture.r3: .questionable])
        let first = plan(spec: spec, health: health, observed: vpc, ledger: OwnershipLedger(), policy: ReconcilePolicy())
        let again = plan(spec: spec, health: health, observed: vpc, ledger: OwnershipLedger(), policy: ReconcilePolicy())
        let reordered = plan(spec: spec, health: health, observed: shuffled, ledger: OwnershipLedger(), policy: ReconcilePolicy())
        #expect(first.actions == again.actions)
        #expect(first.actions == reordered.actions)
        #expect(first.notes == reordered.notes)
    }

    @Test func givesEveryCIDRTheSameRouterInEveryTable() {
        let spec = RouteSpec(Dictionary(uniqueKeysWithValues: (0..<200).map {
            (IPCIDR(network: IPAddress.v4(IPv4Address(0x0a40_0000 | UInt32($0) << 8)), prefixLength: 24), [Fixture.r1, Fixture.r2, Fixture.r3])
        }))
        let result = plan(spec: spec, health: Fixture.health(), observed: Fixture.vpc(), ledger: OwnershipLedger(), policy: ReconcilePolicy())
        var targets: [IPCIDR: Set<String>] = [:]
        for action in result.actions { targets[action.cidr, default: []].insert(action.newTarget?.networkInterfaceId ?? "-") }
        #expect(targets.count == 200)
        #expect(targets.values.allSatisfy { $0.count == 1 })
        #expect(result.writes.count == 600)
    }

    @Test func spreadsCIDRsEvenlyAndStablyOverRouters() {
        let routers = (1...4).map { IPAddress.v4(IPv4Address(0x0a00_0100 | UInt32($0))) }
        var counts: [IPAddress: Int] = [:]
        for number in 0..<4_000 {
            let cidr = IPCIDR(network: IPAddress.v4(IPv4Address(0xac10_0000 | UInt32(number) << 4)), prefixLength: 28)
            let best = routers.max { RendezvousHash.score(cidr: cidr, router: $0) < RendezvousHash.score(cidr: cidr, router: $1) }!
            counts[best, default: 0] += 1
        }
        // 1,000 each on average; a fair split stays well within ±10 %.
        #expect(counts.values.allSatisfy { (900...1_100).contains($0) }, "\(counts)")
        // Fixed, not per-process: these values must never change, or choices move on upgrade.
        #expect(RendezvousHash.score(cidr: cidr("10.55.0.0/16"), router: ip("10.0.1.10")) == Self.pinnedScore)
    }

    // FNV-1a 64 over 10.55.0.0 /16 10.0.1.10 (bytes 10 55 0 0 16 10 0 1 10), then the MurmurHash3 finaliser,
    // computed independently of this code.
    static let pinnedScore: UInt64 = 4_870_696_932_493_798_339

    @Test func removingARouterMovesOnlyItsCIDRs() {
        // Rendezvous hashing: dropping a router from every list only moves the CIDRs it carried.
        let cidrs = (0..<300).map { IPCIDR(network: IPAddress.v4(IPv4Address(0x0a40_0000 | UInt32($0) << 8)), prefixLength: 24) }
        let all = RouteSpec(Dictionary(uniqueKeysWithValues: cidrs.map { ($0, [Fixture.r1, Fixture.r2, Fixture.r3]) }))
        let before = plan(spec: all, health: Fixture.health(), observed: Fixture.vpc(), ledger: OwnershipLedger(), policy: ReconcilePolicy())
        let vpc = applying(before, to: Fixture.vpc())
        let after = plan(spec: all, health: Fixture.health([Fixture.r3: .failed]), observed: vpc,
                         ledger: before.nextLedgerIfAllSucceed, policy: ReconcilePolicy())
        let movedCIDRs = Set(after.writes.map(\.cidr))
        let onR3 = Set(before.chosenTargets.filter { $0.value.networkInterfaceId == "eni-3" }.keys)
        #expect(movedCIDRs == onR3)
        #expect(!onR3.isEmpty && onR3.count < 200)
        #expect(after.writes.allSatisfy { $0.isFailover })
    }

    @Test func computesTheNextLedgerFromConfirmedWrites() {
        let spec = RouteSpec([cidr55: [Fixture.r1], cidr("10.78.0.0/16"): [], cidr("10.79.0.0/16"): [Fixture.r1]])
        let vpc = Fixture.vpc(routes: [
            "rtb-a": [Fixture.toENI("10.77.0.0/16", "eni-1"), Fixture.toENI("10.78.0.0/16", "eni-1")],
            "rtb-b": [Fixture.toENI("10.77.0.0/16", "eni-1")],
        ])
        let ledger = OwnershipLedger([owned("rtb-a", "10.76.0.0/16", "eni-1"), owned("rtb-a", "10.77.0.0/16", "eni-1"),
                                      owned("rtb-b", "10.77.0.0/16", "eni-1")])
        let result = plan(spec: spec, health: Fixture.health(), observed: vpc, ledger: ledger,
                          policy: ReconcilePolicy(tableSelection: .tableIds(["rtb-a", "rtb-b"])))
        let deletes = result.actions.filter { $0.verb == .delete }
        #expect(deletes.map(line) == ["delete rtb-a 10.77.0.0/16 eni-1", "delete rtb-b 10.77.0.0/16 eni-1", "delete rtb-a 10.78.0.0/16 eni-1"])
        let creates = result.writes.filter { $0.verb == .create }
        #expect(creates.map(line) == ["create rtb-a 10.55.0.0/16 >eni-1", "create rtb-b 10.55.0.0/16 >eni-1",
                                      "create rtb-a 10.79.0.0/16 >eni-1", "create rtb-b 10.79.0.0/16 >eni-1"])
        // 10.76 is in no table any more, so it is dropped at once; the routes about to be written
        // are recorded before they are sent, and stay recorded whether or not they succeed.
        let intended = result.ledgerWithIntents.sortedRoutes.map(\.description)
        #expect(intended == ["10.55.0.0/16 in rtb-a -> eni-1", "10.55.0.0/16 in rtb-b -> eni-1",
                             "10.77.0.0/16 in rtb-a -> eni-1", "10.77.0.0/16 in rtb-b -> eni-1",
                             "10.79.0.0/16 in rtb-a -> eni-1", "10.79.0.0/16 in rtb-b -> eni-1"])
        #expect(result.nextLedger(succeeded: []).sortedRoutes.map(\.description) == intended)
        #expect(result.nextLedger(succeeded: [deletes[0], deletes[2]]).sortedRoutes.map(\.description)
                == intended.filter { $0 != "10.77.0.0/16 in rtb-a -> eni-1" })
        #expect(result.nextLedgerIfAllSucceed.sortedRoutes.map(\.description)
                == intended.filter { !$0.hasPrefix("10.77.") })
    }

    @Test func describesActionsForLogs() {
        let result = plan(spec: spec, health: Fixture.health([Fixture.r1: .failed]),
                          observed: Fixture.vpc(routes: ["rtb-a": [Fixture.toENI("10.55.0.0/16", "eni-1")]]),
                          ledger: OwnershipLedger(), policy: ReconcilePolicy())
        #expect(result.actions.map(\.description) == [
            "replace 10.55.0.0/16 in rtb-a 10.0.1.10 (eni-1, i-1) -> 10.0.2.21 (eni-2, i-2) [failover]: router 10.0.1.10 failed",
            "create 10.55.0.0/16 in rtb-b -> 10.0.2.21 (eni-2, i-2): route missing",
        ])
    }

    @Test func derivesTheStatusPages() {
        let vpc = Fixture.vpc(routes: ["rtb-a": [Fixture.toENI("10.55.0.0/16", "eni-1")]])
        let result = plan(spec: spec, health: Fixture.health(), observed: vpc, ledger: OwnershipLedger(), policy: ReconcilePolicy())
        let status = ReconcileStatus(plan: result, spec: spec, observed: vpc)
        #expect(status.cidrs.count == 1)
        let entry = status.cidrs[0]
        #expect(entry.target?.networkInterfaceId == "eni-1")
        #expect(entry.target?.routerAddress == Fixture.r1)
        #expect(entry.tableIds == ["rtb-a", "rtb-b"])
        #expect(entry.lastAction == .create)
        #expect(status.tables.map(\.id) == ["rtb-a", "rtb-b", "rtb-d", "rtb-main"])
        #expect(status.tables.map(\.isManaged) == [true, true, false, false])
        #expect(status.tables[3].subnetIds == ["subnet-c"])
        #expect(status.tables[0].entries.map(\.action) == [.keep])
        #expect(status.tables[1].entries.first?.planned?.networkInterfaceId == "eni-1")
    }
}
