import RouteModel

/// The status documents the dashboard is drawn from: the same ones the JSON endpoints serve, read
/// once per render so one page never mixes two moments.
struct DashboardDocuments {
    var overview: JSONValue
    var ips: JSONValue
    var vpc: JSONValue
    var readinessGaps: [String]

    init(overview: JSONValue, ips: JSONValue, vpc: JSONValue, readinessGaps: [String]) {
        self.overview = overview
        self.ips = ips
        self.vpc = vpc
        self.readinessGaps = readinessGaps
    }

    /// The rest read from `source`, beside the overview the request already built.
    init(source: any StatusSource, overview: JSONValue) {
        self.init(overview: overview, ips: source.ips(), vpc: source.vpc(), readinessGaps: source.readinessGaps())
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var numberValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    var members: [(String, JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }

    var items: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    /// A list of strings (other items skipped).
    var strings: [String] { items.compactMap(\.stringValue) }
}
