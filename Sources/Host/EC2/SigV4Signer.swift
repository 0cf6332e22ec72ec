import FoundationEssentials
import RouteModel

/// AWS Signature Version 4 for header-signed requests. Pure: same inputs, same signature.
public struct SigV4Signer: Sendable {
    public let service: String
    public let region: String

    public init(service: String, region: String) {
        self.service = service
        self.region = region
    }

    /// Everything that goes into a signature; `headers` are the ones to sign besides host and date.
    public struct Request: Sendable {
        public var method: String
        public var url: URL
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(method: String, url: URL, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }
    }

    public struct Signed: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signature: String
        /// Headers to send: the given ones plus X-Amz-Date, X-Amz-Security-Token and Authorization.
        public let headers: [(name: String, value: String)]
    }

    public func sign(_ request: Request, credentials: AWSCredentials, date: Date) -> Signed {
        let timestamp = Self.timestamp(date)
        let day = String(timestamp.prefix(8))
        var headers = request.headers.filter {
            let name = $0.name.lowercased()
            return name != "authorization" && name != "x-amz-date" && name != "x-amz-security-token"
        }
        headers.append((name: "X-Amz-Date", value: timestamp))
        if let token = credentials.sessionToken {
            headers.append((name: "X-Amz-Security-Token", value: token))
        }

        var canonicalHeaders: [String: [String]] = [:]
        for header in headers {
            canonicalHeaders[header.name.lowercased(), default: []].append(Self.trimmedHeaderValue(header.value))
        }
        if canonicalHeaders["host"] == nil {
            canonicalHeaders["host"] = [Self.hostHeader(for: request.url)]
        }
        let signedNames = canonicalHeaders.keys.sorted()
        let headerBlock = signedNames.map { "\($0):\(canonicalHeaders[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = signedNames.joined(separator: ";")

        let canonicalRequest = [
            request.method.uppercased(),
            Self.canonicalPath(request.url),
            Self.canonicalQuery(request.url),
            headerBlock,
            signedHeaders,
            LibCrypto.hex(LibCrypto.sha256(request.body)),
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp, scope,
            LibCrypto.hex(LibCrypto.sha256(Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        var key = LibCrypto.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), data: Array(day.utf8))
        for part in [region, service, "aws4_request"] {
            key = LibCrypto.hmacSHA256(key: key, data: Array(part.utf8))
        }
        let signature = LibCrypto.hex(LibCrypto.hmacSHA256(key: key, data: Array(stringToSign.utf8)))

        headers.append((
            name: "Authorization",
            value: "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
                + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        ))
        return Signed(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, headers: headers)
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC; the fraction of a second is dropped, as Calendar did.
    public static func timestamp(_ date: Date) -> String {
        UTCTimestamp.basic(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// RFC 3986 percent-encoding: everything except unreserved characters, as SigV4 wants.
    public static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// `a=b&c=d` with both sides percent-encoded, in the order given.
    public static func formEncode(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    static func hostHeader(for url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        let scheme = url.scheme?.lowercased()
        if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) { return host }
        return "\(host):\(port)"
    }

    static func trimmedHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    /// The URL's (already encoded) path encoded once more, as non-S3 services expect.
    static func canonicalPath(_ url: URL) -> String {
        let path = url.path(percentEncoded: true)
        if path.isEmpty { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { percentEncode(String($0)) }
            .joined(separator: "/")
    }

    /// Query pairs decoded, re-encoded strictly and sorted by key then value.
    static func canonicalQuery(_ url: URL) -> String {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
            let items = components.queryItems, !items.isEmpty
        else { return "" }
        return items
            .map { (percentEncode($0.name), percentEncode($0.value ?? "")) }
            .sorted { $0.0 != $1.0 ? $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) : $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
