/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optional AWS_SESSION_TOKEN.
public struct EnvironmentCredentialsProvider: CredentialsProvider {
    private let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public func credentials() async throws -> AWSCredentials {
        guard let keyId = environment["AWS_ACCESS_KEY_ID"], !keyId.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else {
            throw CredentialsError(provider: "environment", reason: "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set", notConfigured: true)
        }
        return AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"], source: "environment")
    }
}
