import FoundationEssentials

/// ISO 8601 timestamps as STS, IMDS and container endpoints write them, with or without fractions.
enum AWSDateParsing {
    static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// Credentials JSON shared by the container endpoint and IMDS: AccessKeyId, SecretAccessKey, Token, Expiration.
    static func credentials(fromJSON body: [UInt8], source: String, provider: String) throws -> AWSCredentials {
        guard let document = try? JSONDecoder().decode(CredentialsDocument.self, from: Data(body)),
            let keyId = document.accessKeyId, let secret = document.secretAccessKey
        else {
            throw CredentialsError(provider: provider, reason: "answer is not a credentials document")
        }
        if let code = document.code, code != "Success" {
            throw CredentialsError(provider: provider, reason: "endpoint reported \(code)")
        }
        let expiration = document.expiration.flatMap(parse)
        return AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: document.token, expiration: expiration, source: source)
    }

    /// The fields read from a credentials document; a field that is missing or not a string is nil.
    private struct CredentialsDocument: Decodable {
        let accessKeyId: String?
        let secretAccessKey: String?
        let token: String?
        let expiration: String?
        let code: String?

        enum CodingKeys: String, CodingKey {
            case accessKeyId = "AccessKeyId", secretAccessKey = "SecretAccessKey", token = "Token"
            case expiration = "Expiration", code = "Code"
        }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            func string(_ key: CodingKeys) -> String? { (try? fields.decodeIfPresent(String.self, forKey: key)) ?? nil }
            accessKeyId = string(.accessKeyId)
            secretAccessKey = string(.secretAccessKey)
            token = string(.token)
            expiration = string(.expiration)
            code = string(.code)
        }
    }
}
