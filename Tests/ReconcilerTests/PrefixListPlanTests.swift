import Foundation
import RouteModel
import Testing
import TestSupport
@testable import Reconciler

@Suite("Prefix-list plans")
struct PrefixListPlanTests {
    static let tables = ["rtb-a", "rtb-b", "rtb-main"]
    static let on = ReconcilePolicy(tableSelection: .tableIds(Set(tables)), prefixLists: true, routeTableQuota: 1_000)
    static let off = ReconcilePolicy(tableSelection: .tableIds(Set(tables)), prefixLists: false, routeTableQuota: 1_000)
    static let r1 = Fixture.r1, r2 = Fixture.r2, r3 = Fixture.r3

    /// 10.100.N.0/24 for each N.
    static func cidrs(_ numbers: some Sequence<Int>) -> [IPCIDR] { numbers.map { cidr("10.100.\($0).0/24") } }

    static func spec(_ groups: [([IPCIDR], [IPAddress])]) -> RouteSpec {
        var routes: [IPCIDR: [IPAddress]] = [:]
        for (cidrs, routers) in groups { for cidr in cidrs { routes[cidr] = routers } }
        return RouteSpec(routes)
    }

    func everyTableCarries(_ sim: PrefixListSimulator, _ cidrs: [IPCIDR]) -> Bool {
        Self.tables.allSatisfy { table in cidrs.allSatisfy { PrefixListSimulator.carries(sim.vpc, table: table, cidr: $0) } }
    }

    @Test func aGroupGetsOneListAndOneRoutePerTableAndPerCIDRRoutesGoOnlyOnceTheListCarriesThem() {
        let five = Self.cidrs(0..<5)
        let spec = Self.spec([(five, [Self.r1, Self.r2])])
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        // Per-CIDR routes first, as a deployment before the mode was switched on.
        #expect(sim.converge(spec, health: Fixture.health(), policy: Self.off) <= 2)
        #expect(everyTableCarries(sim, five))

        var first = sim.plan(spec, health: Fixture.health(), policy: Self.on)
        #expect(first.prefixListWrites.map(\.verb) == [.createList])
        #expect(first.prefixListWrites[0].addEntries == five)
        #expect(first.prefixListWrites[0].maxEntries == PrefixListGroup.maxEntries(forCount: 5))
        #expect(first.writes.isEmpty, "nothing per CIDR moves before the list carries it")
        #expect(first.awaitsFollowUp)

        sim.pass(spec, health: Fixture.health(), policy: Self.on)
        first = sim.plan(spec, health: Fixture.health(), policy: Self.on)
        #expect(first.prefixListWrites.map(\.verb) == [.createRoute, .createRoute, .createRoute])
        #expect(Set(first.prefixListWrites.compactMap(\.tableId)) == Set(Self.tables))
        #expect(first.writes.isEmpty, "per-CIDR routes stay until the list's routes are seen")

        sim.pass(spec, health: Fixture.health(), policy: Self.on)
        let third = sim.plan(spec, health: Fixture.health(), policy: Self.on)
        #expect(third.writes.count == 15 && third.writes.allSatisfy { $0.verb == .delete && $0.reasonCode == .coveredByPrefixList })
        #expect(third.prefixListWrites.isEmpty)

        #expect(sim.converge(spec, health: Fixture.health(), policy: Self.on) == 2)
        #expect(everyTableCarries(sim, five))
        #expect(sim.vpc.routeTables.filter { Self.tables.contains($0.id) }.allSatisfy { $0.prefixListRoutes.count == 1 })
        #expect(sim.vpc.routeTables.filter { Self.tables.contains($0.id) }.allSatisfy { table in !table.routes.contains { five.contains($0.destination) } })
        #expect(sim.ledger.prefixLists.count == 1 && sim.ledger.prefixListRoutes.count == 3)
    }

    @Test func aFreshSpecGetsItsListsThenTheirRoutesAndNoPerCIDRRouteMeanwhile() {
        let groupA = Self.cidrs(0..<30), groupB = Self.cidrs(30..<50)
        let spec = Self.spec([(groupA, [Self.r1, Self.r2]), (groupB, [Self.r2, Self.r3])])
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        let first = sim.pass(spec, health: Fixture.health(), policy: Self.on)
        #expect(first.prefixListWrites.map(\.verb) == [.createList, .createList])
        #expect(first.writes.isEmpty)
        let second = sim.pass(spec, health: Fixture.health(), policy: Self.on)
        #expect(second.prefixListWrites.count == 6 && second.prefixListWrites.allSatisfy { $0.verb == .createRoute })
        #expect(second.writes.isEmpty, "the lists' routes are on their way: no per-CIDR route is made for one pass")
        #expect(sim.converge(spec, health: Fixture.health(), policy: Self.on) == 1)
        #expect(sim.written.count == 8, "two lists and a route to each per table, nothing else: \(sim.written)")
        #expect(everyTableCarries(sim, groupA + groupB))
    }

    @Test func aRouterDeathIsOneReplacePerTablePerGroup() {
        let groupA = Self.cidrs(0..<40), groupB = Self.cidrs(40..<60)
        let spec = Self.spec([(groupA, [Self.r1, Self.r2]), (groupB, [Self.r1, Self.r2, Self.r3])])
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        #expect(sim.converge(spec, health: Fixture.health(), policy: Self.on) <= 5)
        #expect(everyTableCarries(sim, groupA + groupB))
        // Kill whichever router carries group A.
        let carrierENI = PrefixListSimulator.interface(sim.vpc, table: "rtb-a", cidr: groupA[0])!
        let dead = carrierENI == "eni-1" ? Self.r1 : Self.r2
        let health = Fixture.health([dead: .failed])
        let failover = sim.plan(spec, health: health, policy: Self.on)
        #expect(failover.writes.isEmpty)
        let moves = failover.prefixListWrites
        #expect(moves.allSatisfy { $0.verb == .replaceRoute && $0.isFailover && $0.followsHealthChange },
                "written from the last read, before the VPC is read again")
        // Group A's route in each of the 3 tables, and group B's too if it was on the same router.
        let groupBOnDead = PrefixListSimulator.interface(sim.vpc, table: "rtb-a", cidr: groupB[0]) == carrierENI
        #expect(moves.count == (groupBOnDead ? 6 : 3))
        sim.pass(spec, health: health, policy: Self.on)
        for cidr in groupA + groupB {
            for table in Self.tables { #expect(PrefixListSimulator.interface(sim.vpc, table: table, cidr: cidr) != carrierENI) }
        }
        #expect(sim.converge(spec, health: health, policy: Self.on) == 1)
    }

    @Test func aCIDRMovingBetweenGroupsIsAddedToItsNewListBeforeItLeavesTheOldOne() {
        let cidrs = Self.cidrs(0..<4)
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        let before = Self.spec([(cidrs, [Self.r1, Self.r2]), ([cidr("10.100.9.0/24")], [Self.r3])])
        _ = sim.converge(before, health: Fixture.health(), policy: Self.on)
        let moving = cidrs[0]
        let after = Self.spec([(Array(cidrs.dropFirst()), [Self.r1, Self.r2]), ([moving, cidr("10.100.9.0/24")], [Self.r3])])
        let step = sim.plan(after, health: Fixture.health(), policy: Self.on)
        let modifications = step.prefixListWrites.filter { $0.verb == .modifyEntries }
        #expect(modifications.count == 1)
        #expect(modifications.first?.addEntries == [moving] && modifications.first?.removeEntries == [])
        #expect(step.prefixListActions.contains { $0.verb == .wait && $0.removeEntries == [moving] })
        var order: [String] = []
        _ = sim.converge(after, health: Fixture.health(), policy: Self.on) { vpc, write in
            order.append(write)
            for table in Self.tables { #expect(PrefixListSimulator.carries(vpc, table: table, cidr: moving), "gap after \(write)") }
        }
        #expect(order.count == 2, "one pass adds it to the new list, the next removes it from the old: \(order)")
        for table in Self.tables { #expect(PrefixListSimulator.interface(sim.vpc, table: table, cidr: moving) == "eni-3") }
    }

    @Test func entriesChangeAtTheVersionObservedAndAListThatMovedIsReadAgainNotOverwritten() throws {
        let cidrs = Self.cidrs(0..<3)
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        _ = sim.converge(Self.spec([(cidrs, [Self.r1])]), health: Fixture.health(), policy: Self.on)
        let grown = Self.spec([(Self.cidrs(0..<4), [Self.r1])])
        let stale = sim.plan(grown, health: Fixture.health(), policy: Self.on)
        let modify = try #require(stale.prefixListWrites.first { $0.verb == .modifyEntries })
        #expect(modify.currentVersion == 1)
        // Someone else changes the list first (a version moves under the plan).
        let index = sim.vpc.prefixLists.firstIndex { $0.id == modify.prefixListId }!
        sim.vpc.prefixLists[index].entries.append(cidr("10.200.0.0/24"))
        sim.vpc.prefixLists[index].version = 2
        #expect(throws: PrefixListSimulator.Refused.self) { _ = try sim.apply(modify) }
        #expect(sim.vpc.prefixLists[index].entries.contains(cidr("10.200.0.0/24")))
        let fresh = sim.plan(grown, health: Fixture.health(), policy: Self.on)
        let again = try #require(fresh.prefixListWrites.first { $0.verb == .modifyEntries })
        #expect(again.currentVersion == 2)
        #expect(again.addEntries == [cidr("10.100.3.0/24")])
        // 10.200.0.0/24 is not in the spec, so vpcrouter's list drops it; nothing else is rewritten.
        #expect(again.removeEntries == [cidr("10.200.0.0/24")])
    }

    @Test func aSpecOverTheRouteQuotaIsRefusedWithTheFigureAndItsCIDRsKeepPerCIDRRoutes() {
        let cidrs = Self.cidrs(0..<30)
        var policy = Self.on
        policy.routeTableQuota = 35
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        let spec = Self.spec([(cidrs, [Self.r1, Self.r2])])
        let made = sim.plan(spec, health: Fixture.health(), policy: policy)
        // 1 local route + a list of 30 + 8 headroom.
        let note = made.notes.first { $0.kind == .prefixListQuota }
        #expect(note?.message.contains("would use 39 routes in rtb-a, over its quota of 35") == true, "\(made.notes)")
        #expect(made.prefixListWrites.isEmpty)
        #expect(made.writes.count == 90, "the CIDRs are routed one by one instead")
        #expect(made.tableQuota.contains { $0.tableId == "rtb-a" && $0.planned == 39 && $0.quota == 35 && !$0.fits })
        _ = sim.converge(spec, health: Fixture.health(), policy: policy)
        #expect(everyTableCarries(sim, cidrs))
        #expect(sim.vpc.prefixLists.isEmpty)
    }

    @Test func listsAndRoutesVpcrouterDidNotMakeAreNeverTouched() {
        // A list tagged for this VPC and a group, but not in the ledger; and someone's list with a route.
        let spec = Self.spec([(Self.cidrs(0..<3), [Self.r1])])
        let group = PrefixListGroup(of: Self.cidrs(0..<1)[0], in: spec)!
        var vpc = Fixture.vpc()
        vpc.prefixLists = [
            ObservedPrefixList(id: "pl-lookalike", tags: group.listTags(vpcId: "vpc-1"), maxEntries: 10, entries: [cidr("10.100.0.0/24")]),
            ObservedPrefixList(id: "pl-theirs", tags: ["team": "net"], maxEntries: 5, entries: [cidr("172.16.0.0/16")]),
        ]
        let index = vpc.routeTables.firstIndex { $0.id == "rtb-a" }!
        vpc.routeTables[index].prefixListRoutes = [
            ObservedPrefixListRoute(prefixListId: "pl-lookalike", target: .networkInterface(id: "eni-9", instanceId: "i-9")),
            ObservedPrefixListRoute(prefixListId: "pl-theirs", target: .other(id: "tgw-1")),
        ]
        var sim = PrefixListSimulator(vpc: vpc)
        for policy in [Self.on, Self.off, Self.on] { _ = sim.converge(spec, health: Fixture.health([Self.r1: .failed]), policy: policy) }
        #expect(!sim.written.contains { $0.contains("pl-lookalike") || $0.contains("pl-theirs") }, "\(sim.written)")
        #expect(sim.vpc.prefixLists.filter { $0.id.hasPrefix("pl-l") || $0.id.hasPrefix("pl-t") } == vpc.prefixLists)
    }

    @Test func switchingTheModeOffMigratesBackToPerCIDRRoutesWithoutAGapAndDeletesTheLists() {
        let cidrs = Self.cidrs(0..<6)
        let spec = Self.spec([(Array(cidrs.prefix(3)), [Self.r1, Self.r2]), (Array(cidrs.suffix(3)), [Self.r3])])
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        _ = sim.converge(spec, health: Fixture.health(), policy: Self.on)
        #expect(sim.vpc.prefixLists.count == 2)
        let passes = sim.converge(spec, health: Fixture.health(), policy: Self.off) { vpc, write in
            for table in Self.tables { for cidr in cidrs { #expect(PrefixListSimulator.carries(vpc, table: table, cidr: cidr), "gap after \(write)") } }
        }
        #expect(passes == 4, "per-CIDR routes, then the lists' routes go, then the lists")
        #expect(sim.vpc.prefixLists.isEmpty)
        #expect(!sim.ledger.holdsPrefixLists)
        #expect(sim.vpc.routeTables.allSatisfy { $0.prefixListRoutes.isEmpty })
    }

    @Test func aGroupThatEmptiesLosesItsRoutesThenItsList() {
        let cidrs = Self.cidrs(0..<2)
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        _ = sim.converge(Self.spec([(cidrs, [Self.r1])]), health: Fixture.health(), policy: Self.on)
        let empty = RouteSpec([cidrs[0]: [], cidrs[1]: []])
        _ = sim.converge(empty, health: Fixture.health(), policy: Self.on)
        #expect(sim.vpc.prefixLists.isEmpty)
        #expect(!sim.ledger.holdsPrefixLists)
        for table in Self.tables { for cidr in cidrs { #expect(!PrefixListSimulator.carries(sim.vpc, table: table, cidr: cidr)) } }
    }

    @Test func aCIDRTheListCarriesIsShownKeptOnTheGroupsRouter() throws {
        let cidrs = Self.cidrs(0..<8)
        let spec = Self.spec([(cidrs, [Self.r1, Self.r2, Self.r3])])
        var sim = PrefixListSimulator(vpc: Fixture.vpc())
        _ = sim.converge(spec, health: Fixture.health(), policy: Self.on)
        let made = sim.plan(spec, health: Fixture.health(), policy: Self.on)
        let groupENI = try #require(PrefixListSimulator.interface(sim.vpc, table: "rtb-a", cidr: cidrs[0]))
        #expect(made.actions.count == cidrs.count * Self.tables.count)
        #expect(made.actions.allSatisfy { $0.verb == .keep && $0.reasonCode == .coveredByPrefixList && $0.oldTarget?.networkInterfaceId == groupENI })
        #expect(cidrs.allSatisfy { made.chosenTargets[$0]?.networkInterfaceId == groupENI }, "one router for the whole group")
        let status = ReconcileStatus(plan: made, spec: spec, observed: sim.vpc)
        #expect(status.cidrs.allSatisfy { $0.target?.networkInterfaceId == groupENI && $0.tableIds == Self.tables.sorted() })
        #expect(status.tables.first { $0.id == "rtb-a" }?.quota?.used == 1 + PrefixListGroup.maxEntries(forCount: 8))
    }

    @Test func aListJustCreatedButNotSeenYetStaysInTheLedger() {
        let ledger = OwnershipLedger(prefixLists: ["pl-new": "00aa", "pl-gone": "00bb"])
        var vpc = Fixture.vpc()
        vpc.prefixLists = [ObservedPrefixList(id: "pl-gone", tags: ["vpcrouter:vpc": "vpc-1", "vpcrouter:group": "00bb"], maxEntries: 3,
                                              state: "delete-complete")]
        let made = plan(spec: Self.spec([(Self.cidrs(0..<1), [Self.r1])]), health: Fixture.health(), observed: vpc, ledger: ledger, policy: Self.on)
        #expect(made.ledger.prefixLists == ["pl-new": "00aa"], "a list not seen may be too new to show; one seen deleted is gone")
    }

    @Test func aGroupIsItsRouterListAndOrderAndItsTagIsFixed() {
        let any = PrefixListGroup(routers: [Self.r2, Self.r1], ordered: false)
        #expect(any == PrefixListGroup(routers: [Self.r1, Self.r2], ordered: false), "any order: the same group")
        #expect(PrefixListGroup(routers: [Self.r2, Self.r1], ordered: true) != PrefixListGroup(routers: [Self.r1, Self.r2], ordered: true))
        #expect(PrefixListGroup(routers: [Self.r1], ordered: true) == PrefixListGroup(routers: [Self.r1], ordered: false),
                "one router has no order")
        #expect(any.key == "any:10.0.1.10,10.0.2.21")
        // The tag names the list in EC2 across restarts and builds: a fixed hash, never Swift's seeded one.
        #expect(any.tag == "f3664610aecc7244")
        #expect(any.tag == PrefixListGroup(routers: [Self.r1, Self.r2], ordered: false).tag)
        #expect(any.listTags(vpcId: "vpc-1") == ["vpcrouter:vpc": "vpc-1", "vpcrouter:group": any.tag, "Name": "vpcrouter-vpc-1-\(any.tag)"])
        #expect(PrefixListGroup.maxEntries(forCount: 1) == 3 && PrefixListGroup.maxEntries(forCount: 500) == 625)
    }

    @Test func theLedgerKeepsPrefixListsAcrossASaveAndReadsAnOlderFileWithoutThem() throws {
        let ledger = OwnershipLedger([owned("rtb-a", "10.1.0.0/16", "eni-1")], prefixLists: ["pl-1": "00aa"],
                                     pendingPrefixListGroups: ["00bb"], prefixListRoutes: [OwnedPrefixListRoute(tableId: "rtb-a", prefixListId: "pl-1")])
        let data = try JSONEncoder().encode(ledger)
        #expect(try JSONDecoder().decode(OwnershipLedger.self, from: data) == ledger)
        let older = Data(#"{"version": 2, "routes": [{"table": "rtb-a", "cidr": "10.1.0.0/16", "eni": "eni-1"}]}"#.utf8)
        let read = try JSONDecoder().decode(OwnershipLedger.self, from: older)
        #expect(read.count == 1 && !read.holdsPrefixLists)
        let plain = String(decoding: try JSONEncoder().encode(read), as: UTF8.self)
        #expect(!plain.contains("prefix_list"), "a ledger without lists is written as before")
    }

    // MARK: - Invariant over random specs

    @Test(arguments: 1...12)
    func noCIDRIsEverWithoutARouteAndNothingForeignIsTouched(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        var vpc = Fixture.vpc()
        vpc.prefixLists = [ObservedPrefixList(id: "pl-theirs", tags: ["vpcrouter:vpc": "vpc-1"], maxEntries: 5, entries: [cidr("10.100.1.0/24")])]
        let a = vpc.routeTables.firstIndex { $0.id == "rtb-a" }!
        vpc.routeTables[a].prefixListRoutes = [ObservedPrefixListRoute(prefixListId: "pl-theirs", target: .other(id: "tgw-1"))]
        vpc.routeTables[a].routes.append(ObservedRoute(destination: cidr("10.100.2.0/24"), target: .other(id: "pcx-1")))
        let foreignTable = vpc.routeTables[a]
        var sim = PrefixListSimulator(vpc: vpc)
        let pool = Self.cidrs(0..<10)
        let routers = [Self.r1, Self.r2, Self.r3]
        var mode = true
        for step in 0..<14 {
            var routes: [IPCIDR: [IPAddress]] = [:]
            var ordered: Set<IPCIDR> = []
            for cidr in pool where Int.random(in: 0..<10, using: &random) < 8 {
                let count = Int.random(in: 0..<4, using: &random)
                routes[cidr] = Array(routers.shuffled(using: &random).prefix(count == 0 && Bool.random(using: &random) ? 0 : max(count, 1)))
                if Bool.random(using: &random) { ordered.insert(cidr) }
            }
            if routes.isEmpty { routes[pool[0]] = [Self.r1] }
            let spec = RouteSpec(routes, preferenceOrdered: ordered)
            if Int.random(in: 0..<4, using: &random) == 0 { mode.toggle() }
            var health = Fixture.health()
            if Int.random(in: 0..<3, using: &random) == 0 { health = Fixture.health([routers.randomElement(using: &random)!: .failed]) }
            var policy = mode ? Self.on : Self.off
            if Int.random(in: 0..<6, using: &random) == 0 { policy.routeTableQuota = 12 }

            // Whatever a table carries now and the new spec still routes must stay carried.
            var mustStay: [(String, IPCIDR)] = []
            for table in Self.tables {
                for cidr in pool where !(spec[cidr]?.isEmpty ?? true) && PrefixListSimulator.carries(sim.vpc, table: table, cidr: cidr) {
                    mustStay.append((table, cidr))
                }
            }
            let passes = sim.converge(spec, health: health, policy: policy, limit: 10) { vpc, write in
                for (table, cidr) in mustStay {
                    #expect(PrefixListSimulator.carries(vpc, table: table, cidr: cidr), "seed \(seed) step \(step): \(cidr) lost in \(table) after \(write)")
                }
            }
            #expect(passes <= 10, "seed \(seed) step \(step): no convergence")
            // Converged: every spec CIDR with an eligible router is carried everywhere.
            for destination in pool where !(spec[destination]?.isEmpty ?? true) {
                guard spec[destination]!.contains(where: { health.condition(of: $0) != .failed }) else { continue }
                for table in Self.tables {
                    #expect(PrefixListSimulator.carries(sim.vpc, table: table, cidr: destination),
                            "seed \(seed) step \(step): \(destination) not routed in \(table)")
                }
            }
            // With the mode off every list goes, unless a CIDR in it has no router to move to (then
            // its route stays where it is rather than vanish).
            if !mode && health.failed.isEmpty {
                #expect(!sim.ledger.holdsPrefixLists, "seed \(seed) step \(step): lists left with the mode off")
            }
            #expect(!sim.written.contains { $0.contains("pl-theirs") || $0.contains("pcx-1") })
            let table = sim.vpc.routeTables.first { $0.id == "rtb-a" }!
            #expect(table.prefixListRoutes.contains(foreignTable.prefixListRoutes[0]))
            #expect(table.routes.contains(foreignTable.routes.last!))
            #expect(sim.vpc.prefixLists.contains(vpc.prefixLists[0]))
        }
    }
}
