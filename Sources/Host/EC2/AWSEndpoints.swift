import FoundationEssentials

/// Endpoint resolution following the SDK conventions: service-specific variable, then the global one,
/// then the public regional endpoint.
public struct AWSEndpoints: Sendable {
    private let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public func ec2(region: String) throws -> URL {
        try resolve(serviceVariable: "AWS_ENDPOINT_URL_EC2", fallback: "https://ec2.\(region).amazonaws.com")
    }

    public func sts(region: String?) throws -> URL {
        try resolve(
            serviceVariable: "AWS_ENDPOINT_URL_STS",
            fallback: region.map { "https://sts.\($0).amazonaws.com" } ?? "https://sts.amazonaws.com")
    }

    /// IMDS base URL from AWS_EC2_METADATA_SERVICE_ENDPOINT, default http://169.254.169.254.
    public func instanceMetadata() throws -> URL {
        try parse(environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254", variable: "AWS_EC2_METADATA_SERVICE_ENDPOINT")
    }

    private func resolve(serviceVariable: String, fallback: String) throws -> URL {
        for variable in [serviceVariable, "AWS_ENDPOINT_URL"] {
            if let value = environment[variable], !value.isEmpty { return try parse(value, variable: variable) }
        }
        return try parse(fallback, variable: "default endpoint")
    }

    /// Strict, as full Foundation parsed: FoundationEssentials alone would percent-encode a space
    /// or other invalid character and accept the text. Every URL an operator gives is parsed so.
    private func parse(_ text: String, variable: String) throws -> URL {
        guard let url = URL(string: text, encodingInvalidCharacters: false), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw EndpointError(variable: variable, value: text)
        }
        return url
    }
}

public struct EndpointError: Error, Sendable, CustomStringConvertible {
    public let variable: String
    public let value: String
    public var description: String { "\(variable): '\(value)' is not an http(s) URL" }
}
