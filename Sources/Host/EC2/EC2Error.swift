import FoundationEssentials

/// An EC2 call that failed: an error answer from the service, or a client-side failure around it.
public struct EC2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// EC2's error code, extensible because the service adds codes without notice.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }

        public static let requestLimitExceeded: Code = "RequestLimitExceeded"
        public static let throttling: Code = "Throttling"
        public static let authFailure: Code = "AuthFailure"
        public static let unauthorizedOperation: Code = "UnauthorizedOperation"
        public static let accessDenied: Code = "AccessDenied"
        public static let invalidParameterValue: Code = "InvalidParameterValue"
        public static let routeNotFound: Code = "InvalidRoute.NotFound"
        public static let routeAlreadyExists: Code = "RouteAlreadyExists"
        public static let internalError: Code = "InternalError"
        public static let unavailable: Code = "Unavailable"
        public static let serviceUnavailable: Code = "ServiceUnavailable"

        // Client-side codes; the `Client.` prefix keeps them apart from the service's own.
        /// No HTTP answer: connection refused or reset, timeout.
        public static let transport: Code = "Client.Transport"
        /// An answer that is not the XML we expect (HTML page, truncated, empty).
        public static let malformedResponse: Code = "Client.MalformedResponse"
        /// A well-formed answer with an item that lacks what identifies it: the read is refused
        /// rather than taken as complete without it.
        public static let undecodableItem: Code = "Client.UndecodableItem"
        /// No credentials could be found or refreshed.
        public static let credentials: Code = "Client.Credentials"
        /// The write's authority (leadership) ended before this attempt could be sent; nothing was sent.
        public static let authorityExpired: Code = "Client.AuthorityExpired"
    }

    public let code: Code
    public let message: String
    public let requestId: String?
    /// 0 when no HTTP answer arrived.
    public let httpStatus: Int
    public let action: String

    public init(code: Code, message: String, requestId: String? = nil, httpStatus: Int = 0, action: String) {
        self.code = code
        self.message = message
        self.requestId = requestId
        self.httpStatus = httpStatus
        self.action = action
    }

    /// Throttling by any of the names AWS services use.
    public var isThrottling: Bool {
        [.requestLimitExceeded, .throttling, "ThrottlingException", "RequestThrottled", "TooManyRequestsException", "SlowDown"].contains(code)
    }

    /// Worth another attempt: throttling, server-side failure, no answer or a garbled one. Retrying
    /// a write whose answer was lost is safe here: upsert and delete absorb the repeat.
    public var isRetryable: Bool {
        isThrottling || code == .transport || code == .malformedResponse || httpStatus >= 500
            || [.internalError, .unavailable, .serviceUnavailable].contains(code)
    }

    public var description: String {
        var text = "\(action) failed: \(code)"
        if !message.isEmpty { text += ": \(message)" }
        if httpStatus != 0 { text += " (HTTP \(httpStatus)" + (requestId.map { ", request \($0)" } ?? "") + ")" }
        return text
    }
}
