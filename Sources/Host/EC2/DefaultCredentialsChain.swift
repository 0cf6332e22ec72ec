import FoundationEssentials
import HTTPClient
import Logging

/// The SDK default chain: environment, shared files/profile, web identity, container, IMDSv2 instance
/// profile. The first provider that works is remembered; temporary credentials refresh before expiry.
public actor DefaultCredentialsChain: CredentialsProvider {
    private let providers: [(name: String, provider: any CredentialsProvider)]
    private let refreshMargin: TimeInterval
    private let logger: Logger
    private var cached: AWSCredentials?
    private var chosen: Int?
    private var refreshing: Task<AWSCredentials, Error>?

    public init(providers: [(name: String, provider: any CredentialsProvider)], refreshMargin: TimeInterval = 300, logger: Logger = Logger(label: "vpcrouter.ec2.credentials")) {
        self.providers = providers
        self.refreshMargin = refreshMargin
        self.logger = logger
    }

    /// The standard order, reading the given environment.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, transport: any HTTPTransport, imds: IMDSClient? = nil, refreshMargin: TimeInterval = 300, logger: Logger = Logger(label: "vpcrouter.ec2.credentials")) throws {
        let metadata = try imds ?? IMDSClient(environment: environment, transport: transport)
        self.init(
            providers: [
                ("environment", EnvironmentCredentialsProvider(environment: environment)),
                ("profile", ProfileCredentialsProvider(environment: environment)),
                ("web identity", WebIdentityCredentialsProvider(environment: environment, transport: transport)),
                ("container", ContainerCredentialsProvider(environment: environment, transport: transport)),
                ("instance profile", InstanceProfileCredentialsProvider(imds: metadata, environment: environment)),
            ],
            refreshMargin: refreshMargin, logger: logger)
    }

    public func credentials() async throws -> AWSCredentials {
        if let cached, !cached.expires(within: refreshMargin) { return cached }
        if let refreshing { return try await refreshing.value }
        let task = Task { try await self.resolve() }
        refreshing = task
        defer { refreshing = nil }
        do {
            let fresh = try await task.value
            cached = fresh
            return fresh
        } catch {
            // A failed refresh is survivable while the old credentials still work.
            if let cached, !cached.expires(within: 0) {
                logger.warning("credential refresh failed, using current ones until they expire", metadata: ["error": "\(error)"])
                return cached
            }
            throw error
        }
    }

    /// Drops the cache, e.g. after AuthFailure, so the next call asks the provider again.
    public func invalidate() {
        cached = nil
    }

    private func resolve() async throws -> AWSCredentials {
        if let chosen {
            return try await providers[chosen].provider.credentials()
        }
        var reasons: [String] = []
        for (index, entry) in providers.enumerated() {
            do {
                let found = try await entry.provider.credentials()
                chosen = index
                logger.info("using AWS credentials", metadata: ["source": "\(found.source)", "accessKeyId": "\(AWSCredentials.redactedKeyId(found.accessKeyId))"])
                return found
            } catch let error as CredentialsError where error.notConfigured {
                reasons.append(error.description)
            }
        }
        throw CredentialsError(provider: "default chain", reason: "no credentials found (" + reasons.joined(separator: "; ") + ")")
    }
}
