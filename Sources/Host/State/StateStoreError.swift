/// Why the state directory or the ledger file could not be used. The message names the path.
public struct StateStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The state directory is missing and could not be created, or is not a directory.
        public static let directoryUnusable = Code(name: "directory-unusable")
        /// The state directory exists but files cannot be written in it.
        public static let directoryUnwritable = Code(name: "directory-unwritable")
        public static let readFailed = Code(name: "read-failed")
        /// The ledger file exists but is not a ledger this build can read.
        public static let corrupt = Code(name: "corrupt")
        public static let writeFailed = Code(name: "write-failed")
        public var description: String { name }
    }

    public let code: Code
    public let path: String
    public let message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { message }
}
