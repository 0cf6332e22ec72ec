/// The region and VPC the router works in.
public struct EC2Location: Sendable, Equatable {
    public let region: String
    public let vpcId: String

    public init(region: String, vpcId: String) {
        self.region = region
        self.vpcId = vpcId
    }

    /// Uses what the options give and asks IMDS only for what is missing.
    public static func resolve(region: String?, vpcId: String?, imds: IMDSClient?) async throws -> EC2Location {
        let givenRegion = region.flatMap { $0.isEmpty ? nil : $0 }
        let givenVPC = vpcId.flatMap { $0.isEmpty ? nil : $0 }
        if let givenRegion, let givenVPC { return EC2Location(region: givenRegion, vpcId: givenVPC) }
        var missing: [String] = []
        if givenRegion == nil { missing.append("region") }
        if givenVPC == nil { missing.append("VPC id") }
        guard let imds else {
            throw LocationError(missing: missing, reason: "instance metadata is not available")
        }
        do {
            var resolvedRegion = givenRegion
            if resolvedRegion == nil { resolvedRegion = try await imds.region() }
            var resolvedVPC = givenVPC
            if resolvedVPC == nil { resolvedVPC = try await imds.vpcId() }
            return EC2Location(region: resolvedRegion!, vpcId: resolvedVPC!)
        } catch {
            throw LocationError(missing: missing, reason: "instance metadata did not answer (\(error))")
        }
    }
}

public struct LocationError: Error, Sendable, CustomStringConvertible {
    public let missing: [String]
    public let reason: String
    public var description: String {
        "cannot determine the \(missing.joined(separator: " and ")): give it as an option or run on an EC2 instance; \(reason)"
    }
}
