import Foundation
import RouteModel
import Testing
@testable import Reconciler

/// Plans for specs that mix IPv4 and IPv6 CIDRs and name routers by either family's address.
/// The fixture's interfaces gain IPv6 addresses: eni-1 holds fd00:0:0:1::10, eni-2 fd00:0:0:2::20.
@Suite struct DualStackPlanTests {
    static let v4 = "10.55.0.0/16"
    static let v6 = "2600:1f18::/56"
    static let r1v6 = ip("fd00:0:0:1::10")
    static let r2v6 = ip("fd00:0:0:2::20")

    static let interfaces: [ObservedNetworkInterface] = Fixture.defaultInterfaces.map { eni in
        var eni = eni
        if eni.id == "eni-1" { eni.privateAddresses.append(r1v6) }
        if eni.id == "eni-2" { eni.privateAddresses.append(r2v6) }
        return eni
    }

    static func run(_ spec: [String: [IPAddress]], health: HealthSnapshot, routes: [String: [ObservedRoute]] = [:],
                    ledger: [OwnedRoute] = [], policy: ReconcilePolicy = ReconcilePolicy()) -> RoutePlan {
        plan(spec: RouteSpec(Dictionary(uniqueKeysWithValues: spec.map { (cidr($0), $1) })), health: health,
             observed: Fixture.vpc(routes: routes, interfaces: interfaces), ledger: OwnershipLedger(ledger), policy: policy)
    }

    static let allHealthy = Fixture.health(healthy: [r1, r2, r1v6, r2v6])

    @Test func aMixedSpecCreatesBothFamiliesRoutesOnTheRoutersENIs() {
        let plan = Self.run([Self.v4: [r1], Self.v6: [Self.r1v6]], health: Self.allHealthy)
        #expect(Set(lines(plan)) == [
            "create rtb-a \(Self.v4) >eni-1", "create rtb-a \(Self.v6) >eni-1",
        ])
        #expect(plan.chosenTargets[cidr(Self.v6)]?.networkInterfaceId == "eni-1")
    }

    @Test func aRouterNamedByItsIPv6AddressIsTheSameENIAsByItsIPv4Address() {
        // The IPv4 CIDR names router 1 by its IPv6 address and the IPv6 CIDR by its IPv4 address.
        let routes = ["rtb-a": [Fixture.toENI(Self.v4, "eni-1"), Fixture.toENI(Self.v6, "eni-1")]]
        let plan = Self.run([Self.v4: [Self.r1v6], Self.v6: [r1]], health: Self.allHealthy, routes: routes)
        #expect(Set(lines(plan)) == ["keep rtb-a \(Self.v4) eni-1", "keep rtb-a \(Self.v6) eni-1"])
        #expect(plan.writes.isEmpty)
    }

    @Test func aRouterListedByBothItsAddressesIsOneRouterAndKeepsItsRoute() {
        let routes = ["rtb-a": [Fixture.toENI(Self.v6, "eni-1")], "rtb-b": [Fixture.toENI(Self.v6, "eni-1")]]
        let plan = Self.run([Self.v6: [r1, Self.r1v6, Self.r2v6]], health: Self.allHealthy, routes: routes)
        #expect(Set(lines(plan)) == ["keep rtb-a \(Self.v6) eni-1", "keep rtb-b \(Self.v6) eni-1"])
    }

    @Test func aRouterDeathMovesBothFamiliesAsFailovers() {
        let routes = Fixture.everywhere(Fixture.toENI(Self.v4, "eni-1"), tables: ["rtb-a", "rtb-b"])
            .merging(Fixture.everywhere(Fixture.toENI(Self.v6, "eni-1"), tables: ["rtb-a", "rtb-b"])) { $0 + $1 }
        let health = Fixture.health([r1: .failed, Self.r1v6: .failed], healthy: [r2, Self.r2v6])
        let plan = Self.run([Self.v4: [r1, r2], Self.v6: [Self.r1v6, Self.r2v6]], health: health, routes: routes)
        #expect(Set(lines(plan)) == [
            "replace rtb-a \(Self.v4) eni-1>eni-2 !", "replace rtb-b \(Self.v4) eni-1>eni-2 !",
            "replace rtb-a \(Self.v6) eni-1>eni-2 !", "replace rtb-b \(Self.v6) eni-1>eni-2 !",
        ])
        #expect(plan.failovers.count == 4)
    }

    @Test func anIPv6RouteThatLeftTheSpecIsDeletedOnlyWhereTheLedgerSaysItWasWritten() {
        let gone = "2600:1f18:0:100::/64"
        let foreign = "2600:1f18:0:200::/64"
        let routes = ["rtb-a": [Fixture.toENI(Self.v4, "eni-1"), Fixture.toENI(gone, "eni-1"), Fixture.toENI(foreign, "eni-1")]]
        let plan = Self.run([Self.v4: [r1]], health: Self.allHealthy, routes: routes,
                            ledger: [owned("rtb-a", Self.v4, "eni-1"), owned("rtb-a", gone, "eni-1")])
        #expect(lines(plan).contains("delete rtb-a \(gone) eni-1"))
        #expect(!plan.writes.contains { $0.cidr == cidr(foreign) })
        #expect(!plan.nextLedgerIfAllSucceed.contains(owned("rtb-a", gone, "eni-1")))
    }

    @Test func theLedgerKeepsIPv6RoutesAcrossARestart() throws {
        let ledger = OwnershipLedger([owned("rtb-a", Self.v6, "eni-1"), owned("rtb-b", Self.v4, "eni-2")])
        let decoded = try JSONDecoder().decode(OwnershipLedger.self, from: JSONEncoder().encode(ledger))
        #expect(decoded == ledger)
        #expect(decoded.contains(owned("rtb-a", "2600:1F18:0::/56", "eni-1")))
        #expect(decoded.sortedCIDRs == [cidr(Self.v4), cidr(Self.v6)])
    }

    @Test func ignoringTheIPv6DefaultRouteLeavesTheIPv4OneManaged() {
        let policy = ReconcilePolicy(ignoredCIDRs: [cidr("::/0"), cidr("2600:1f18::/48")])
        #expect(policy.ignoreEntry(covering: cidr("::/0")) == cidr("::/0"))
        #expect(policy.ignoreEntry(covering: cidr("0.0.0.0/0")) == nil)
        #expect(policy.ignoreEntry(covering: cidr(Self.v6)) == cidr("2600:1f18::/48"))
        #expect(policy.ignoreEntry(covering: cidr("2600:1f19::/56")) == nil)
        let plan = Self.run(["0.0.0.0/0": [r1], "::/0": [Self.r1v6], Self.v6: [Self.r1v6]], health: Self.allHealthy, policy: policy)
        #expect(Set(lines(plan)) == ["create rtb-a 0.0.0.0/0 >eni-1", "ignore * ::/0", "ignore * \(Self.v6)"])
    }

    @Test func ipv4ScoresAreTheSameBytesAsBefore() {
        // The score IPv4 pairs had before IPv6 existed: address and prefix bytes mixed big-endian.
        func reference(_ network: UInt32, _ length: Int, _ router: UInt32) -> UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            func mix(_ byte: UInt8) { hash ^= UInt64(byte); hash &*= 0x0000_0100_0000_01b3 }
            for shift in stride(from: 24, through: 0, by: -8) { mix(UInt8(truncatingIfNeeded: network >> UInt32(shift))) }
            mix(UInt8(length))
            for shift in stride(from: 24, through: 0, by: -8) { mix(UInt8(truncatingIfNeeded: router >> UInt32(shift))) }
            hash ^= hash >> 33; hash &*= 0xff51_afd7_ed55_8ccd; hash ^= hash >> 33; hash &*= 0xc4ce_b9fe_1a85_ec53; hash ^= hash >> 33
            return hash
        }
        #expect(RendezvousHash.score(cidr: cidr("10.55.0.0/16"), router: ip("10.0.1.10")) == reference(0x0a37_0000, 16, 0x0a00_010a))
        #expect(RendezvousHash.score(cidr: cidr("0.0.0.0/0"), router: ip("255.255.255.255")) == reference(0, 0, 0xffff_ffff))
        #expect(RendezvousHash.score(cidr: cidr(Self.v6), router: Self.r1v6) != RendezvousHash.score(cidr: cidr(Self.v6), router: Self.r2v6))
    }

    @Test func ipv6CIDRsSpreadOverRoutersAndSurviveAnyOrder() {
        let routers = [Self.r1v6, Self.r2v6]
        let cidrs = (0..<64).map { cidr("2600:1f18:0:\(String($0, radix: 16))::/64") }
        let spec = Dictionary(uniqueKeysWithValues: cidrs.map { ($0.description, routers) })
        let first = Self.run(spec, health: Self.allHealthy)
        let onENI1 = first.chosenTargets.values.filter { $0.networkInterfaceId == "eni-1" }.count
        #expect(onENI1 > 16 && onENI1 < 48, "\(onENI1) of 64 on eni-1")
        #expect(Self.run(spec, health: Self.allHealthy).chosenTargets == first.chosenTargets)
    }
}
