import FoundationEssentials
import HTTPClient
import RouteModel

/// IMDSv2: a session token from PUT /latest/api/token, then GETs carrying it. Short timeouts because
/// off EC2 (or in a container with hop limit 1) the endpoint never answers.
public actor IMDSClient {
    private let baseURL: URL
    private let transport: any HTTPTransport
    private let timeout: Duration
    private let tokenTTLSeconds: Int
    private var token: (value: String, validUntil: Date)?

    public init(baseURL: URL, transport: any HTTPTransport, timeout: Duration = .seconds(1), tokenTTLSeconds: Int = 21_600) {
        self.baseURL = baseURL
        self.transport = transport
        self.timeout = timeout
        self.tokenTTLSeconds = tokenTTLSeconds
    }

    /// Endpoint from AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254.
    public init(environment: [String: String], transport: any HTTPTransport, timeout: Duration = .seconds(1)) throws {
        self.init(baseURL: try AWSEndpoints(environment: environment).instanceMetadata(), transport: transport, timeout: timeout)
    }

    /// GET a metadata path such as `meta-data/placement/region` (relative to /latest/).
    public func get(_ path: String) async throws -> String {
        let url = endpoint("latest/" + path)
        var response = try await send(HTTPRequest(method: "GET", url: url, headers: [(name: "X-aws-ec2-metadata-token", value: try await sessionToken())], timeout: timeout))
        if response.status == 401 {
            // The token expired or IMDS restarted: fetch a new one once.
            token = nil
            response = try await send(HTTPRequest(method: "GET", url: url, headers: [(name: "X-aws-ec2-metadata-token", value: try await sessionToken())], timeout: timeout))
        }
        guard response.status == 200 else {
            throw IMDSError(path: path, reason: "HTTP \(response.status)", status: response.status)
        }
        return response.bodyText.trimmingWhitespaceAndNewlines()
    }

    public func region() async throws -> String { try await get("meta-data/placement/region") }

    /// The VPC of the instance's primary interface.
    public func vpcId() async throws -> String {
        let mac = try await get("meta-data/mac")
        return try await get("meta-data/network/interfaces/macs/\(mac)/vpc-id")
    }

    private func sessionToken() async throws -> String {
        if let token, token.validUntil > Date() { return token.value }
        let response = try await send(HTTPRequest(
            method: "PUT", url: endpoint("latest/api/token"),
            headers: [(name: "X-aws-ec2-metadata-token-ttl-seconds", value: String(tokenTTLSeconds))], timeout: timeout))
        guard response.status == 200, !response.body.isEmpty else {
            throw IMDSError(path: "api/token", reason: "token request answered HTTP \(response.status)", status: response.status)
        }
        let value = response.bodyText.trimmingWhitespaceAndNewlines()
        // Renew a minute early so a token never expires between fetch and use.
        token = (value, Date().addingTimeInterval(Double(max(tokenTTLSeconds - 60, 1))))
        return value
    }

    private func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        do { return try await transport.send(request) } catch let error as TransportError {
            throw IMDSError(path: request.url.path, reason: error.reason, status: 0)
        }
    }

    private func endpoint(_ path: String) -> URL {
        var text = baseURL.absoluteString
        if !text.hasSuffix("/") { text += "/" }
        return URL(string: text + path)!
    }
}

public struct IMDSError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    /// 0 when the endpoint did not answer.
    public let status: Int
    public var description: String { "instance metadata \(path): \(reason)" }
}
