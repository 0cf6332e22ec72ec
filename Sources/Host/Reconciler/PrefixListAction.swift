import RouteModel

/// One decision of a plan about a prefix list of vpcrouter's, or about a route to one
/// (`--prefix-lists` mode). Every write's precondition was seen in the observation the plan was
/// made from, so the writes of one plan do not depend on each other and may be applied in order
/// even when some fail.
public struct PrefixListAction: Hashable, Sendable, CustomStringConvertible {
    public enum Verb: String, Hashable, Sendable, CaseIterable {
        /// CreateManagedPrefixList for `group` with `addEntries` and `maxEntries`, tagged as vpcrouter's.
        case createList = "create-list"
        /// ModifyManagedPrefixList at `currentVersion`: add `addEntries`, remove `removeEntries`.
        case modifyEntries = "modify-entries"
        /// DeleteManagedPrefixList (no route refers to it any more).
        case deleteList = "delete-list"
        /// CreateRoute to the list, at `newTarget`.
        case createRoute = "create-route"
        /// ReplaceRoute of the list's route, to `newTarget`.
        case replaceRoute = "replace-route"
        /// DeleteRoute of the list's route.
        case deleteRoute = "delete-route"
        /// The list's route is where it should be, or must stay as it is for now.
        case keepRoute = "keep-route"
        /// The list or entry is left as it is for now (waiting for cover, or refused); said why.
        case wait

        /// True for the verbs an apply layer turns into EC2 writes.
        public var writes: Bool {
            switch self {
            case .createList, .modifyEntries, .deleteList, .createRoute, .replaceRoute, .deleteRoute: true
            case .keepRoute, .wait: false
            }
        }
    }

    public var verb: Verb
    /// The group the list serves; nil for a list whose group is not in the spec any more.
    public var group: PrefixListGroup?
    /// nil only for `createList`.
    public var prefixListId: String?
    /// For route verbs.
    public var tableId: String?
    public var addEntries: [IPCIDR]
    public var removeEntries: [IPCIDR]
    /// For `createList`.
    public var maxEntries: Int?
    /// For `modifyEntries`: the version observed, which EC2 checks (a list that moved is read again).
    public var currentVersion: Int?
    public var oldTarget: RouteTarget?
    public var newTarget: RouteTarget?
    /// A move away from a route that cannot carry traffic: written first.
    public var isFailover: Bool
    /// A move away from a router the health checks judged failed: like `RouteAction`'s, it may be
    /// written from the last observation before the VPC is read again.
    public var followsHealthChange: Bool
    public var reason: String

    public init(_ verb: Verb, group: PrefixListGroup? = nil, prefixListId: String? = nil, tableId: String? = nil,
                addEntries: [IPCIDR] = [], removeEntries: [IPCIDR] = [], maxEntries: Int? = nil,
                currentVersion: Int? = nil, oldTarget: RouteTarget? = nil, newTarget: RouteTarget? = nil,
                isFailover: Bool = false, followsHealthChange: Bool = false, reason: String) {
        self.verb = verb
        self.group = group
        self.prefixListId = prefixListId
        self.tableId = tableId
        self.addEntries = addEntries
        self.removeEntries = removeEntries
        self.maxEntries = maxEntries
        self.currentVersion = currentVersion
        self.oldTarget = oldTarget
        self.newTarget = newTarget
        self.isFailover = isFailover
        self.followsHealthChange = followsHealthChange
        self.reason = reason
    }

    /// The list as named in logs: its id, or the group it is for before it exists.
    public var listName: String { prefixListId ?? "new list for \(group?.key ?? "?")" }

    public var description: String {
        var text = "\(verb.rawValue) \(listName)"
        if let tableId { text += " in \(tableId)" }
        switch verb {
        case .createList:
            text += " (\(addEntries.count) entries, max \(maxEntries ?? 0))"
        case .modifyEntries:
            var parts: [String] = []
            if !addEntries.isEmpty { parts.append("+" + addEntries.map(\.description).joined(separator: " +")) }
            if !removeEntries.isEmpty { parts.append("-" + removeEntries.map(\.description).joined(separator: " -")) }
            text += " at version \(currentVersion ?? 0): " + parts.joined(separator: " ")
        case .createRoute: text += " -> \(newTarget?.description ?? "(none)")"
        case .replaceRoute: text += " \(oldTarget?.description ?? "(none)") -> \(newTarget?.description ?? "(none)")"
        case .deleteRoute, .keepRoute: if let oldTarget { text += " -> \(oldTarget)" }
        case .deleteList, .wait: break
        }
        if isFailover { text += " [failover]" }
        return text + ": " + reason
    }
}
