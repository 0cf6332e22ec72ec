import Reconciler
import RouteModel

/// What the reconciler needs from the cloud: one observation of the VPC, and idempotent route
/// writes. The EC2 adapter implements it; failover writes go first in the API budget.
public protocol VPCRouteAccess: Sendable {
    /// One read of the VPC. `routers` are the spec's router IPs, whose instances' states matter.
    func observe(routers: [IPAddress]) async throws -> ObservedVPC
    /// Performs a create, replace or delete action. A delete of a route already gone succeeds.
    func apply(_ action: RouteAction) async throws
    /// Performs a prefix-list write (`--prefix-lists`); returns the id of a list it created. A
    /// modification whose version moved throws `PrefixListWriteConflict`.
    func apply(_ action: PrefixListAction) async throws -> String?
}

extension VPCRouteAccess {
    /// Access without prefix-list support refuses every prefix-list write.
    public func apply(_ action: PrefixListAction) async throws -> String? {
        throw PrefixListsUnsupported(action: action.description)
    }
}

/// A prefix-list write sent to an access that cannot make one.
public struct PrefixListsUnsupported: Error, CustomStringConvertible {
    public let action: String
    public var description: String { "this VPC access does not support prefix lists: \(action)" }
}

/// A prefix-list write refused because the world moved since the read: the list's version moved
/// (someone else changed it), or a route to it appeared. Never overwritten; the reconciler reads
/// again and decides anew.
public struct PrefixListWriteConflict: Error, CustomStringConvertible {
    public let prefixListId: String
    public let what: String

    public init(prefixListId: String, what: String) {
        self.prefixListId = prefixListId
        self.what = what
    }

    public var description: String { "prefix list \(prefixListId): \(what) since the read; not overwritten, the next read decides" }
}
