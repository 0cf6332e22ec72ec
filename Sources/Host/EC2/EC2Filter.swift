/// A Describe filter (`Filter.N.Name` / `Filter.N.Value.M`).
public struct EC2Filter: Sendable, Equatable {
    public let name: String
    public let values: [String]

    public init(_ name: String, _ values: [String]) {
        self.name = name
        self.values = values
    }

    public static func vpc(_ vpcId: String) -> EC2Filter { EC2Filter("vpc-id", [vpcId]) }

    static func parameters(_ filters: [EC2Filter]) -> [(String, String)] {
        var parameters: [(String, String)] = []
        for (index, filter) in filters.enumerated() {
            parameters.append(("Filter.\(index + 1).Name", filter.name))
            for (valueIndex, value) in filter.values.enumerated() {
                parameters.append(("Filter.\(index + 1).Value.\(valueIndex + 1)", value))
            }
        }
        return parameters
    }
}
