/// Why a document is not the XML the EC2 decoders accept, and where.
public struct XMLSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, without the offset: "undeclared entity '&nbsp;'".
    public let reason: String
    /// Where in the document, counted in bytes from 0.
    public let offset: Int

    public init(reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "malformed XML at byte \(offset): \(reason)" }
}
