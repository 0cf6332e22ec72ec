import FoundationEssentials
import HTTPClient
import RouteModel

/// ECS/EKS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (against 169.254.170.2) or
/// AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE].
public struct ContainerCredentialsProvider: CredentialsProvider {
    private let environment: [String: String]
    private let transport: any HTTPTransport
    /// Where relative URIs point; overridable only so tests can use a local server.
    private let relativeBase: String

    public init(environment: [String: String], transport: any HTTPTransport, relativeBase: String = "http://169.254.170.2") {
        self.environment = environment
        self.transport = transport
        self.relativeBase = relativeBase
    }

    public func credentials() async throws -> AWSCredentials {
        let url = try endpoint()
        var headers: [(name: String, value: String)] = []
        if let tokenFile = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !tokenFile.isEmpty {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw CredentialsError(provider: "container", reason: "cannot read \(tokenFile)")
            }
            headers.append((name: "Authorization", value: String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()))
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers.append((name: "Authorization", value: token))
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "GET", url: url, headers: headers, timeout: .seconds(2)))
        } catch {
            throw CredentialsError(provider: "container", reason: "endpoint unreachable: \(error)")
        }
        guard response.status == 200 else {
            throw CredentialsError(provider: "container", reason: "endpoint answered HTTP \(response.status)")
        }
        return try AWSDateParsing.credentials(fromJSON: response.body, source: "container", provider: "container")
    }

    private func endpoint() throws -> URL {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            guard let url = URL(string: relativeBase + (relative.hasPrefix("/") ? relative : "/" + relative), encodingInvalidCharacters: false) else {
                throw CredentialsError(provider: "container", reason: "bad relative URI")
            }
            return url
        }
        if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            guard let url = URL(string: full, encodingInvalidCharacters: false), let scheme = url.scheme?.lowercased(), let host = url.host else {
                throw CredentialsError(provider: "container", reason: "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL")
            }
            // As the SDKs: plain HTTP only to loopback or the ECS/EKS link-local agents.
            let allowedPlainHosts = ["127.0.0.1", "localhost", "::1", "[::1]", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"]
            guard scheme == "https" || (scheme == "http" && (allowedPlainHosts.contains(host) || host.hasPrefix("127."))) else {
                throw CredentialsError(provider: "container", reason: "plain HTTP is only allowed to loopback or the container agent, not \(host)")
            }
            return url
        }
        throw CredentialsError(provider: "container", reason: "AWS_CONTAINER_CREDENTIALS_* not set", notConfigured: true)
    }
}
