/// What a route in a table is, in one word an operator can read at a glance (the status page's
/// colours, `/vpc`'s `status`). Derived from the plan's decision about it.
public enum RouteState: String, Sendable, Hashable, CaseIterable {
    /// Points at the router it should; nothing to write.
    case correct
    /// Being created or repointed by this pass (a failover included).
    case repairing
    /// Being deleted: vpcrouter wrote it and no longer wants it.
    case removing
    /// Nothing may change yet (no spec, observation or first health round).
    case held
    /// No listed router can carry it; left as it is.
    case noEligibleRouter = "no_eligible_router"
    /// Inside an ignored CIDR.
    case ignored
    /// Someone else's: a target vpcrouter does not manage, or repointed after vpcrouter wrote it.
    case foreign

    public init(_ action: RouteAction) {
        switch action.reasonCode {
        case .notWhereWritten, .foreignTarget:
            self = .foreign
            return
        case .ignoredByPolicy:
            self = .ignored
            return
        case .noEligibleRouter:
            self = .noEligibleRouter
            return
        default:
            break
        }
        switch action.verb {
        case .create, .replace: self = .repairing
        case .delete: self = .removing
        case .hold: self = .held
        case .ignore: self = .foreign
        case .keep: self = .correct
        }
    }
}
