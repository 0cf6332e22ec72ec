import RouteModel
import Testing
import TestSupport
@testable import Reconciler

/// The ledger's own bookkeeping, indexed by table: whatever order routes arrive in and however
/// they are added, removed and confirmed, it holds exactly the set of routes a plain set would.
@Suite struct OwnershipLedgerTests {
    static let tables = ["rtb-a", "rtb-b", "rtb-c"]
    static let cidrs = ["10.61.0.0/16", "10.62.0.0/16", "10.63.0.0/24"]
    static let enis = ["eni-3", "eni-1", "eni-2"]

    static func route(_ number: Int) -> OwnedRoute {
        owned(tables[number % 3], cidrs[number / 3 % 3], enis[number / 9 % 3])
    }

    @Test func theLedgerMatchesASetOfRoutesOverRandomOperations() {
        var generator = SeededGenerator(state: 7)
        for _ in 0..<300 {
            var ledger = OwnershipLedger()
            var expected = Set<OwnedRoute>()
            for _ in 0..<20 {
                let route = Self.route(Int(generator.next() % 27))
                switch generator.next() % 4 {
                case 0, 1:
                    ledger = ledger.adding([route])
                    expected.insert(route)
                case 2:
                    // A confirmed write leaves only the interface written for its table and CIDR.
                    let action = RouteAction(.replace, tableId: route.tableId, cidr: route.cidr,
                                             newTarget: RouteTarget(networkInterfaceId: route.networkInterfaceId), reason: .onChosenRouter)
                    ledger = ledger.confirming([action])
                    expected = expected.filter { $0.tableId != route.tableId || $0.cidr != route.cidr }
                    expected.insert(route)
                default:
                    ledger = ledger.removing([route], clearingLegacyCIDRs: false)
                    expected.remove(route)
                }
                #expect(ledger.routes == expected)
                #expect(ledger.count == expected.count)
                #expect(ledger.contains(route) == expected.contains(route))
                // Equal contents compare equal however they were built.
                #expect(ledger == OwnershipLedger(expected.shuffled(using: &generator)))
            }
        }
    }

    @Test func twoInterfacesForOneRouteStayUntilAWriteIsConfirmed() {
        let old = owned("rtb-a", "10.61.0.0/16", "eni-2"), new = owned("rtb-a", "10.61.0.0/16", "eni-1")
        let ledger = OwnershipLedger([old, new])
        #expect(ledger.count == 2)
        #expect(ledger.sortedRoutes == [new, old])
        let delete = RouteAction(.delete, tableId: old.tableId, cidr: old.cidr, reason: .removedFromSpec)
        #expect(ledger.confirming([delete]).isEmpty)
    }
}
