import FoundationEssentials
import HTTPClient
import RouteModel

/// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN through STS AssumeRoleWithWebIdentity (an unsigned call).
public struct WebIdentityCredentialsProvider: CredentialsProvider {
    private let environment: [String: String]
    private let transport: any HTTPTransport

    public init(environment: [String: String], transport: any HTTPTransport) {
        self.environment = environment
        self.transport = transport
    }

    public func credentials() async throws -> AWSCredentials {
        guard let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], !tokenFile.isEmpty,
            let roleArn = environment["AWS_ROLE_ARN"], !roleArn.isEmpty
        else {
            throw CredentialsError(provider: "web identity", reason: "AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN not set", notConfigured: true)
        }
        // The token file is re-read on every refresh: Kubernetes rotates it in place.
        guard let tokenData = FileManager.default.contents(atPath: tokenFile) else {
            throw CredentialsError(provider: "web identity", reason: "cannot read token file \(tokenFile)")
        }
        let token = String(decoding: tokenData, as: UTF8.self).trimmingWhitespaceAndNewlines()
        let sessionName = environment["AWS_ROLE_SESSION_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "vpcrouter-\(Int(Date().timeIntervalSince1970))"
        let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
        let endpoint: URL
        do { endpoint = try AWSEndpoints(environment: environment).sts(region: region) } catch {
            throw CredentialsError(provider: "web identity", reason: "\(error)")
        }
        let body = SigV4Signer.formEncode([
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"),
            ("RoleArn", roleArn), ("RoleSessionName", sessionName), ("WebIdentityToken", token),
        ])
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(
                method: "POST", url: endpoint,
                headers: [(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")],
                body: Array(body.utf8)))
        } catch {
            throw CredentialsError(provider: "web identity", reason: "STS unreachable: \(error)")
        }
        guard let xml = try? XMLTreeNode.parse(response.body) else {
            throw CredentialsError(provider: "web identity", reason: "STS answered HTTP \(response.status) without XML")
        }
        guard response.status == 200, let result = xml.child("AssumeRoleWithWebIdentityResult")?.child("Credentials"),
            let keyId = result.string("AccessKeyId"), let secret = result.string("SecretAccessKey")
        else {
            let code = xml.child("Error")?.string("Code") ?? "HTTP \(response.status)"
            let message = xml.child("Error")?.string("Message") ?? ""
            throw CredentialsError(provider: "web identity", reason: "AssumeRoleWithWebIdentity failed: \(code) \(message)")
        }
        return AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: result.string("SessionToken"),
            expiration: result.string("Expiration").flatMap(AWSDateParsing.parse), source: "web identity \(roleArn)")
    }
}
