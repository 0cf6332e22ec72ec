/// Why an etcd call did not give an answer to use. `kind` says what a caller may do about it.
public struct EtcdError: Error, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// No endpoint answered (refused, reset, server error, not the gateway); another may.
        public static let unreachable = Kind(name: "unreachable")
        /// Nothing arrived in time: a request's timeout, or a watch that stayed silent for its idle time.
        public static let timedOut = Kind(name: "timedOut")
        /// etcd answered and said no (lease not found, bad request).
        public static let refused = Kind(name: "refused")
        /// etcd ended the watch, typically because its start revision was compacted away; read afresh.
        public static let watchCancelled = Kind(name: "watchCancelled")
        /// The answer could not be read as the gateway's JSON.
        public static let malformed = Kind(name: "malformed")
        /// The calling task was cancelled.
        public static let cancelled = Kind(name: "cancelled")
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
