import FoundationEssentials

/// Tunables of `EC2Client`; defaults follow EC2's published limits.
public struct EC2ClientConfiguration: Sendable {
    public var region: String
    /// The EC2 Query API endpoint; see `AWSEndpoints.ec2(region:)`.
    public var endpoint: URL
    /// Page size for Describe calls (EC2 accepts 5-100 for DescribeRouteTables).
    public var maxResults: Int
    public var retryPolicy: RetryPolicy
    public var mutatingLimits: APIBudget.Limits
    public var describeLimits: APIBudget.Limits
    /// How long `observeVPC` reuses the subnet list; subnets rarely change.
    public var subnetCacheLifetime: Duration
    public var idleTimeout: Duration
    public var requestTimeout: Duration

    public init(
        region: String, endpoint: URL, maxResults: Int = 100, retryPolicy: RetryPolicy = RetryPolicy(),
        mutatingLimits: APIBudget.Limits = .ec2Mutating, describeLimits: APIBudget.Limits = .ec2Describe,
        subnetCacheLifetime: Duration = .seconds(300), idleTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(20)
    ) {
        self.region = region
        self.endpoint = endpoint
        self.maxResults = maxResults
        self.retryPolicy = retryPolicy
        self.mutatingLimits = mutatingLimits
        self.describeLimits = describeLimits
        self.subnetCacheLifetime = subnetCacheLifetime
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
    }

    /// Endpoint from AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL, else the public regional one.
    public init(region: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.init(region: region, endpoint: try AWSEndpoints(environment: environment).ec2(region: region))
    }
}
