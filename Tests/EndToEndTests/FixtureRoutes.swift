import EC2
import Foundation
import TestSupport

/// What the fixture's two subnet tables (A, B) route `cidr` to: the ENI, or nil where there is no route.
func fixtureTableTargets(_ client: EC2Client, _ fixture: MotoFixture, _ cidr: String) async throws -> [String?] {
    let tables = try await client.describeRouteTables(vpcId: fixture.vpcId)
    return [fixture.routeTableA, fixture.routeTableB].map { id in
        tables.first { $0.routeTableId == id }?.route(to: cidr)?.networkInterfaceId
    }
}

/// Polls `condition` every 50 ms until it holds (true) or `timeout` passes (false).
func eventually(_ timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}
