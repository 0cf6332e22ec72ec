/// The instance profile role's credentials from IMDSv2.
public struct InstanceProfileCredentialsProvider: CredentialsProvider {
    private let imds: IMDSClient
    private let disabled: Bool

    public init(imds: IMDSClient, environment: [String: String] = [:]) {
        self.imds = imds
        disabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
    }

    public func credentials() async throws -> AWSCredentials {
        if disabled {
            throw CredentialsError(provider: "instance profile", reason: "AWS_EC2_METADATA_DISABLED is true", notConfigured: true)
        }
        let role: String
        do {
            role = try await imds.get("meta-data/iam/security-credentials/")
                .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        } catch let error as IMDSError {
            // No answer at all means "not on EC2", which is not an error for the chain.
            throw CredentialsError(provider: "instance profile", reason: error.description, notConfigured: error.status == 0 || error.status == 404)
        }
        guard !role.isEmpty else {
            throw CredentialsError(provider: "instance profile", reason: "no role attached to the instance", notConfigured: true)
        }
        let document = try await imds.get("meta-data/iam/security-credentials/\(role)")
        return try AWSDateParsing.credentials(fromJSON: Array(document.utf8), source: "instance profile \(role)", provider: "instance profile")
    }
}
