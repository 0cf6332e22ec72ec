import EC2
import RouteModel
import TestSupport

/// One CIDR in the fixture's two route tables (a, b), read straight from moto.
struct FixtureRoutes {
    let client: EC2Client
    let fixture: MotoFixture
    let cidr: IPCIDR

    /// The ENI each of the two tables points the CIDR at (nil where there is no route).
    func targets() async throws -> [String?] {
        let tables = try await client.describeRouteTables(vpcId: fixture.vpcId)
        return [fixture.routeTableA, fixture.routeTableB].map { id in
            tables.first { $0.routeTableId == id }?.route(to: cidr)?.networkInterfaceId
        }
    }

    /// Polls until both tables point at the same one of `enis`; returns what was seen last.
    func waitForTargets(in enis: Set<String>, timeout: Duration = .seconds(30)) async throws -> [String?] {
        var seen: [String?] = []
        _ = try await eventually(timeout) {
            seen = try await targets()
            return seen.allSatisfy { $0.map(enis.contains) ?? false } && Set(seen).count == 1
        }
        return seen
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(_ timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
                _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return false
}
