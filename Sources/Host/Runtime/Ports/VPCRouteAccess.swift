import Reconciler
import RouteModel

/// What the reconciler needs from the cloud: one observation of the VPC, and idempotent route
/// writes. The EC2 adapter implements it; failover writes go first in the API budget.
public protocol VPCRouteAccess: Sendable {
    /// One read of the VPC. `routers` are the spec's router IPs, whose instances' states matter.
    func observe(routers: [IPAddress]) async throws -> ObservedVPC
    /// Performs a create, replace or delete action. A delete of a route already gone succeeds.
    func apply(_ action: RouteAction) async throws
}
