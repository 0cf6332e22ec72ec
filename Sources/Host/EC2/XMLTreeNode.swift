/// A small immutable element tree; EC2 answers are a few KB, so a tree is simpler than SAX decoding.
public struct XMLTreeNode: Sendable {
    /// An attribute as written in the start tag (qualified name, value with references replaced).
    public struct Attribute: Sendable, Equatable {
        public let name: String
        public let value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The element's local name: a namespace prefix is dropped, as the decoders look elements up.
    public let name: String
    public let attributes: [Attribute]
    /// The element's own character data (CDATA included), not its children's.
    public let text: String
    public let children: [XMLTreeNode]

    public init(name: String, attributes: [Attribute] = [], text: String = "", children: [XMLTreeNode] = []) {
        self.name = name
        self.attributes = attributes
        self.text = text
        self.children = children
    }

    public func child(_ name: String) -> XMLTreeNode? { children.first { $0.name == name } }

    public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

    /// Text of a direct child without surrounding whitespace, nil when absent or empty.
    public func string(_ name: String) -> String? {
        guard let text = child(name)?.text,
            let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return nil }
        return String(text[first...last])
    }

    public func bool(_ name: String) -> Bool? { string(name).map { $0 == "true" } }

    /// The `<item>` elements of a `<xxxSet>` child; empty when the set is missing.
    public func items(_ setName: String) -> [XMLTreeNode] {
        child(setName)?.children.filter { $0.name == "item" } ?? []
    }

    /// Parses a whole document (see `XMLDocumentParser` for what is accepted). Malformed, truncated,
    /// oversized or empty input is an error that names the problem and its byte offset, never a crash.
    public static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLTreeNode {
        try XMLDocumentParser.parse(bytes)
    }
}
