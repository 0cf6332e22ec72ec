import FoundationEssentials

/// Static keys from the shared credentials and config files, for AWS_PROFILE (default "default").
/// Role chaining (`role_arn` + `source_profile`) and `credential_process` are not supported.
public struct ProfileCredentialsProvider: CredentialsProvider {
    private let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public var profileName: String { environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default" }

    public func credentials() async throws -> AWSCredentials {
        let profile = profileName
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        // The credentials file wins over the config file for the same profile, as in the SDKs.
        let candidates = [
            AWSConfigFile.load(path: credentialsPath)?.credentialsProfile(profile),
            AWSConfigFile.load(path: configPath)?.configProfile(profile),
        ]
        for case let section? in candidates {
            if let keyId = section["aws_access_key_id"], let secret = section["aws_secret_access_key"], !keyId.isEmpty, !secret.isEmpty {
                return AWSCredentials(
                    accessKeyId: keyId, secretAccessKey: secret, sessionToken: section["aws_session_token"],
                    source: "profile \(profile)")
            }
        }
        throw CredentialsError(
            provider: "profile", reason: "no access key for profile '\(profile)' in \(credentialsPath) or \(configPath)",
            notConfigured: environment["AWS_PROFILE"] == nil)
    }

    /// The profile's `region` from the config file, used when no region is configured.
    public func region() -> String? {
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        let configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        return AWSConfigFile.load(path: configPath)?.configProfile(profileName)?["region"]
    }
}
