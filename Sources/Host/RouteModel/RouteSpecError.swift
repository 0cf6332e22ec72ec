/// Why a route spec was refused. The message names the offending entry; the previous spec stays.
public struct RouteSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let notJSON = Code(name: "not-json")
        public static let wrongShape = Code(name: "wrong-shape")
        public static let badCIDR = Code(name: "bad-cidr")
        public static let badRouter = Code(name: "bad-router")
        public static let empty = Code(name: "empty")
        public static let tooLarge = Code(name: "too-large")
        public static let duplicate = Code(name: "duplicate")
        /// An entry's `order` is not one vpcrouter knows.
        public static let badOrder = Code(name: "bad-order")
        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
