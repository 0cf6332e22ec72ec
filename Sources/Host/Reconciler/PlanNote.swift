import RouteModel

/// Something an operator should know about a plan that is not an action: a CIDR with no eligible
/// router, a spec router missing from the VPC, a table that was not found.
public struct PlanNote: Hashable, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let noEligibleRouter = Kind(name: "no-eligible-router")
        public static let routerNotInVPC = Kind(name: "router-not-in-vpc")
        public static let noRouterInVPC = Kind(name: "no-router-in-vpc")
        public static let tableNotFound = Kind(name: "table-not-found")
        public static let noManagedTables = Kind(name: "no-managed-tables")
        public static let subnetWithoutTable = Kind(name: "subnet-without-table")
        public static let held = Kind(name: "held")
        /// `--prefix-lists`: the lists would not fit a table's route quota; nothing new is made.
        public static let prefixListQuota = Kind(name: "prefix-list-quota")
        /// `--prefix-lists`: a group's list is full; its newest CIDRs keep per-CIDR routes.
        public static let prefixListFull = Kind(name: "prefix-list-full")
        /// `--prefix-lists`: a group's list has no eligible router.
        public static let prefixListNoRouter = Kind(name: "prefix-list-no-router")
        public var description: String { name }
    }

    public var kind: Kind
    /// The CIDR the note is about, or nil for the plan as a whole.
    public var cidr: IPCIDR?
    public var message: String

    public init(_ kind: Kind, cidr: IPCIDR? = nil, _ message: String) {
        self.kind = kind
        self.cidr = cidr
        self.message = message
    }

    public var description: String { cidr.map { "\($0): \(message)" } ?? message }
}
