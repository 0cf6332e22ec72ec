import Foundation

/// ISO 8601 timestamps as STS, IMDS and container endpoints write them, with or without fractions.
enum AWSDateParsing {
    static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// Credentials JSON shared by the container endpoint and IMDS: AccessKeyId, SecretAccessKey, Token, Expiration.
    static func credentials(fromJSON body: [UInt8], source: String, provider: String) throws -> AWSCredentials {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let keyId = object["AccessKeyId"] as? String, let secret = object["SecretAccessKey"] as? String
        else {
            throw CredentialsError(provider: provider, reason: "answer is not a credentials document")
        }
        if let code = object["Code"] as? String, code != "Success" {
            throw CredentialsError(provider: provider, reason: "endpoint reported \(code)")
        }
        let expiration = (object["Expiration"] as? String).flatMap(parse)
        return AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: object["Token"] as? String, expiration: expiration, source: source)
    }
}
