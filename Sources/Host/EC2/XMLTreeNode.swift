import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small immutable element tree; EC2 answers are a few KB, so a tree is simpler than SAX decoding.
public struct XMLTreeNode: Sendable {
    public let name: String
    public let text: String
    public let children: [XMLTreeNode]

    public init(name: String, text: String = "", children: [XMLTreeNode] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    public func child(_ name: String) -> XMLTreeNode? { children.first { $0.name == name } }

    /// Text of a direct child, nil when absent or empty.
    public func string(_ name: String) -> String? {
        guard let value = child(name)?.text.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    public func bool(_ name: String) -> Bool? { string(name).map { $0 == "true" } }

    /// The `<item>` elements of a `<xxxSet>` child; empty when the set is missing.
    public func items(_ setName: String) -> [XMLTreeNode] {
        child(setName)?.children.filter { $0.name == "item" } ?? []
    }

    /// Parses a whole document. Malformed, truncated or empty input is an error, never a crash.
    public static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLTreeNode {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            throw XMLSyntaxError(reason: "empty document")
        }
        // EC2 answers are UTF-8. FoundationXML traps on an element name that is not valid UTF-8
        // (found by fuzzing), so such a document never reaches it.
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw XMLSyntaxError(reason: "not valid UTF-8")
        }
        // FoundationXML also crashes on a processing instruction without data (`<?pi?>`, found by
        // fuzzing). EC2 answers have none, so any `<?` but a leading XML declaration is refused.
        if let offset = processingInstructionOffset(bytes) {
            throw XMLSyntaxError(reason: "a processing instruction at byte \(offset)")
        }
        let builder = XMLTreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let ok = parser.parse()
        if !ok || builder.failure != nil {
            let reason = builder.failure ?? parser.parserError.map { String(describing: $0) } ?? "parse failed"
            throw XMLSyntaxError(reason: reason)
        }
        guard let root = builder.root else { throw XMLSyntaxError(reason: "no root element") }
        return root
    }
}

/// Where the first `<?` is that is not the opening of a leading XML declaration, or nil. Nothing
/// after a declaration's start is trusted to end it: `<?xml a><?pi?>` is refused at byte 9.
func processingInstructionOffset(_ bytes: [UInt8]) -> Int? {
    let start = bytes.starts(with: Array("<?xml ".utf8)) ? 1 : 0
    guard bytes.count >= 2, start <= bytes.count - 2 else { return nil }
    for index in start...(bytes.count - 2) where bytes[index] == 0x3C && bytes[index + 1] == 0x3F {  // "<?"
        return index
    }
    return nil
}

public struct XMLSyntaxError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "malformed XML: \(reason)" }
}
