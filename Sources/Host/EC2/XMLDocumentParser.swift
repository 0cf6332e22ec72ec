/// A strict, non-validating XML 1.0 parser for EC2 Query API answers, written for this purpose so
/// the daemon maps neither libxml2 nor FoundationXML.
///
/// It reads UTF-8 only and knows elements, attributes, character data, the five predefined entities,
/// numeric character references, CDATA sections, comments, the XML declaration and processing
/// instructions (skipped). A DOCTYPE is refused: EC2 never sends one, and without DTDs there are no
/// entity expansions to bound. Depth and size are bounded, the tree is built without recursion, and
/// every refusal names the problem and the byte offset where it was found.
struct XMLDocumentParser {
    /// EC2 answers nest about ten levels; a much deeper document is refused before the tree (and
    /// the recursion that frees it) can exhaust the stack.
    static let maximumDepth = 100
    /// A page of 100 network interfaces with 50 addresses each is about 2 MB.
    static let maximumDocumentSize = 32 * 1024 * 1024
    /// Names longer than this are cut in error messages, which stay short.
    private static let quotedNameLimit = 40

    private struct OpenElement {
        var name: String
        /// Where the qualified name sits in the document, to match the end tag without a copy.
        var nameBytes: Range<Int>
        var attributes: [XMLTreeNode.Attribute]
        var text: [UInt8] = []
        var children: [XMLTreeNode] = []
        var offset: Int
    }

    private let bytes: [UInt8]
    private var position = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The root element of a whole document.
    static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLTreeNode {
        guard bytes.count <= maximumDocumentSize else {
            throw XMLSyntaxError(reason: "document of \(bytes.count) bytes is over the \(maximumDocumentSize >> 20) MiB limit", offset: maximumDocumentSize)
        }
        guard bytes.contains(where: { !isWhitespace($0) }) else {
            throw XMLSyntaxError(reason: "empty document", offset: bytes.count)
        }
        try checkCharacters(bytes)
        var parser = XMLDocumentParser(bytes)
        return try parser.document()
    }

    // MARK: - Document structure

    private mutating func document() throws(XMLSyntaxError) -> XMLTreeNode {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }  // a UTF-8 byte order mark
        if startsDeclaration(at: position) { try xmlDeclaration() }
        try miscellany(afterRoot: false)
        guard position < bytes.count else { throw XMLSyntaxError(reason: "no root element", offset: position) }
        let root = try elementTree()
        try miscellany(afterRoot: true)
        return root
    }

    /// Whitespace, comments and processing instructions before or after the root element; stops at
    /// the root's start tag. Anything else out there is refused.
    private mutating func miscellany(afterRoot: Bool) throws(XMLSyntaxError) {
        while position < bytes.count {
            let byte = bytes[position]
            if Self.isWhitespace(byte) {
                position += 1
            } else if looking(at: "<!--") {
                try comment()
            } else if looking(at: "<?") {
                try processingInstruction()
            } else if looking(at: "<!DOCTYPE") {
                throw XMLSyntaxError(reason: "a DOCTYPE is refused (document type declarations are not supported)", offset: position)
            } else if byte == UInt8(ascii: "<") && !afterRoot {
                return
            } else if byte == UInt8(ascii: "<") {
                throw XMLSyntaxError(reason: "content after the root element", offset: position)
            } else {
                throw XMLSyntaxError(reason: "text outside the root element", offset: position)
            }
        }
    }

    /// The root element and everything in it, with an explicit stack of open elements.
    private mutating func elementTree() throws(XMLSyntaxError) -> XMLTreeNode {
        var stack: [OpenElement] = []
        var (open, empty) = try startTag()
        if empty { return XMLTreeNode(name: open.name, attributes: open.attributes) }
        stack.append(open)
        while let current = stack.last {
            guard position < bytes.count else {
                throw XMLSyntaxError(
                    reason: "document ended inside <\(Self.quoted(current.name))> (opened at byte \(current.offset))", offset: position)
            }
            switch bytes[position] {
            case UInt8(ascii: "<"):
                if looking(at: "</") {
                    let closed = stack.removeLast()
                    try endTag(closing: closed)
                    let node = XMLTreeNode(
                        name: closed.name, attributes: closed.attributes, text: String(decoding: closed.text, as: UTF8.self),
                        children: closed.children)
                    if stack.isEmpty { return node }
                    stack[stack.count - 1].children.append(node)
                } else if looking(at: "<!--") {
                    try comment()
                } else if looking(at: "<![CDATA[") {
                    try cdata(into: &stack[stack.count - 1].text)
                } else if looking(at: "<?") {
                    try processingInstruction()
                } else if looking(at: "<!DOCTYPE") {
                    throw XMLSyntaxError(reason: "a DOCTYPE is refused (document type declarations are not supported)", offset: position)
                } else {
                    guard stack.count < Self.maximumDepth else {
                        throw XMLSyntaxError(reason: "elements nested deeper than \(Self.maximumDepth) levels", offset: position)
                    }
                    (open, empty) = try startTag()
                    if empty {
                        stack[stack.count - 1].children.append(XMLTreeNode(name: open.name, attributes: open.attributes))
                    } else {
                        stack.append(open)
                    }
                }
            case UInt8(ascii: "&"):
                try reference(into: &stack[stack.count - 1].text)
            default:
                try characterData(into: &stack[stack.count - 1].text)
            }
        }
        preconditionFailure("the loop returns when the root element closes")
    }

    // MARK: - Tags

    /// `<name attr="value" ...>` or `<name .../>`; position is at the `<`.
    private mutating func startTag() throws(XMLSyntaxError) -> (OpenElement, empty: Bool) {
        let offset = position
        position += 1
        let nameBytes = try qualifiedName(what: "an element")
        let name = localName(nameBytes)
        var attributes: [XMLTreeNode.Attribute] = []
        while true {
            let spaced = skipWhitespace()
            guard position < bytes.count else {
                throw XMLSyntaxError(reason: "document ended inside the start tag of <\(Self.quoted(name))>", offset: position)
            }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                return (OpenElement(name: name, nameBytes: nameBytes, attributes: attributes, offset: offset), false)
            }
            if looking(at: "/>") {
                position += 2
                return (OpenElement(name: name, nameBytes: nameBytes, attributes: attributes, offset: offset), true)
            }
            guard spaced else {
                throw XMLSyntaxError(reason: "expected whitespace, '>' or '/>' in the start tag of <\(Self.quoted(name))>", offset: position)
            }
            let attributeOffset = position
            let attributeName = string(try qualifiedName(what: "an attribute"))
            if attributes.contains(where: { $0.name == attributeName }) {
                throw XMLSyntaxError(
                    reason: "attribute '\(Self.quoted(attributeName))' appears twice in <\(Self.quoted(name))>", offset: attributeOffset)
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else {
                throw XMLSyntaxError(reason: "expected '=' after attribute '\(Self.quoted(attributeName))'", offset: position)
            }
            position += 1
            skipWhitespace()
            attributes.append(XMLTreeNode.Attribute(name: attributeName, value: try attributeValue()))
        }
    }

    /// `</name>` closing `element`; position is at the `<`.
    private mutating func endTag(closing element: OpenElement) throws(XMLSyntaxError) {
        let offset = position
        position += 2
        let nameBytes = try qualifiedName(what: "an end tag")
        guard bytes[nameBytes].elementsEqual(bytes[element.nameBytes]) else {
            throw XMLSyntaxError(
                reason: "end tag </\(Self.quoted(string(nameBytes)))> does not match <\(Self.quoted(string(element.nameBytes)))> opened at byte \(element.offset)",
                offset: offset)
        }
        skipWhitespace()
        guard position < bytes.count else {
            throw XMLSyntaxError(reason: "document ended inside the end tag of <\(Self.quoted(element.name))>", offset: position)
        }
        guard bytes[position] == UInt8(ascii: ">") else {
            throw XMLSyntaxError(reason: "expected '>' to close the end tag of <\(Self.quoted(element.name))>", offset: position)
        }
        position += 1
    }

    /// A quoted attribute value with references replaced and whitespace normalised to spaces.
    private mutating func attributeValue() throws(XMLSyntaxError) -> String {
        guard position < bytes.count else { throw XMLSyntaxError(reason: "document ended before an attribute value", offset: position) }
        let quote = bytes[position]
        guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
            throw XMLSyntaxError(reason: "attribute value not in quotes", offset: position)
        }
        let opening = position
        position += 1
        var value: [UInt8] = []
        while true {
            guard position < bytes.count else {
                throw XMLSyntaxError(reason: "document ended inside an attribute value that opened at byte \(opening)", offset: position)
            }
            let byte = bytes[position]
            switch byte {
            case quote:
                position += 1
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "<"):
                throw XMLSyntaxError(reason: "'<' inside an attribute value", offset: position)
            case UInt8(ascii: "&"):
                try reference(into: &value)
            case 0x0D:
                // CR LF and a lone CR are one line end, and a line end in a value is a space.
                position += position + 1 < bytes.count && bytes[position + 1] == 0x0A ? 2 : 1
                value.append(0x20)
            case 0x09, 0x0A:
                position += 1
                value.append(0x20)
            default:
                position += 1
                value.append(byte)
            }
        }
    }

    // MARK: - Content

    /// Text up to the next `<` or `&`, with line ends normalised to LF.
    private mutating func characterData(into text: inout [UInt8]) throws(XMLSyntaxError) {
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "&") { return }
            if byte == UInt8(ascii: "]") && looking(at: "]]>") {
                throw XMLSyntaxError(reason: "']]>' in text outside a CDATA section", offset: position)
            }
            if byte == 0x0D {
                position += position + 1 < bytes.count && bytes[position + 1] == 0x0A ? 2 : 1
                text.append(0x0A)
                continue
            }
            text.append(byte)
            position += 1
        }
    }

    /// `&name;`, `&#decimal;` or `&#xhex;`; position is at the `&`.
    private mutating func reference(into text: inout [UInt8]) throws(XMLSyntaxError) {
        let offset = position
        position += 1
        if position < bytes.count && bytes[position] == UInt8(ascii: "#") {
            position += 1
            let digits = position
            while position < bytes.count, position - digits < 16, Self.isASCIILetterOrDigit(bytes[position]) { position += 1 }
            guard position < bytes.count, bytes[position] == UInt8(ascii: ";") else {
                throw XMLSyntaxError(reason: "character reference '\(string(offset..<position))' not closed with ';'", offset: offset)
            }
            let spelled = string(offset..<(position + 1))
            let body = bytes[digits..<position]
            position += 1
            let scalar = body.first == UInt8(ascii: "x") ? Self.number(body.dropFirst(), radix: 16) : Self.number(body, radix: 10)
            guard let scalar else {
                throw XMLSyntaxError(reason: "malformed character reference '\(spelled)'", offset: offset)
            }
            guard Self.isXMLCharacter(scalar), let unicode = Unicode.Scalar(scalar) else {
                throw XMLSyntaxError(reason: "character reference '\(spelled)' is not a character XML allows", offset: offset)
            }
            text.append(contentsOf: String(Character(unicode)).utf8)
            return
        }
        guard position < bytes.count, Self.startsName(scalarAt(position)) else {
            throw XMLSyntaxError(reason: "'&' not followed by an entity name or '#'", offset: offset)
        }
        let entity = string(try name(what: "an entity"))
        guard position < bytes.count, bytes[position] == UInt8(ascii: ";") else {
            throw XMLSyntaxError(reason: "entity reference '&\(Self.quoted(entity))' not closed with ';'", offset: offset)
        }
        position += 1
        switch entity {
        case "lt": text.append(UInt8(ascii: "<"))
        case "gt": text.append(UInt8(ascii: ">"))
        case "amp": text.append(UInt8(ascii: "&"))
        case "apos": text.append(UInt8(ascii: "'"))
        case "quot": text.append(UInt8(ascii: "\""))
        default:
            throw XMLSyntaxError(reason: "undeclared entity '&\(Self.quoted(entity));'", offset: offset)
        }
    }

    /// `<![CDATA[...]]>`, its text kept as it is but for line ends; position is at the `<`.
    private mutating func cdata(into text: inout [UInt8]) throws(XMLSyntaxError) {
        let offset = position
        position += 9
        while position < bytes.count {
            if looking(at: "]]>") {
                position += 3
                return
            }
            if bytes[position] == 0x0D {
                position += position + 1 < bytes.count && bytes[position + 1] == 0x0A ? 2 : 1
                text.append(0x0A)
                continue
            }
            text.append(bytes[position])
            position += 1
        }
        throw XMLSyntaxError(reason: "document ended inside a CDATA section that opened at byte \(offset)", offset: position)
    }

    /// `<!-- ... -->`, skipped; `--` may appear only as part of the closing `-->`.
    private mutating func comment() throws(XMLSyntaxError) {
        let offset = position
        position += 4
        while position < bytes.count {
            if looking(at: "--") {
                guard looking(at: "-->") else {
                    if position + 2 == bytes.count { break }
                    throw XMLSyntaxError(reason: "'--' inside a comment", offset: position)
                }
                position += 3
                return
            }
            position += 1
        }
        position = bytes.count
        throw XMLSyntaxError(reason: "document ended inside a comment that opened at byte \(offset)", offset: position)
    }

    /// `<?target data?>`, skipped; the target `xml` is only for the declaration at the start.
    private mutating func processingInstruction() throws(XMLSyntaxError) {
        let offset = position
        position += 2
        guard position < bytes.count, Self.startsName(scalarAt(position)) else {
            throw XMLSyntaxError(reason: "processing instruction without a target", offset: position)
        }
        let target = string(try name(what: "a processing instruction target"))
        if target.lowercased() == "xml" {
            throw XMLSyntaxError(reason: "XML declaration not at the start of the document", offset: offset)
        }
        if looking(at: "?>") {
            position += 2
            return
        }
        guard skipWhitespace() else {
            throw XMLSyntaxError(reason: "expected whitespace or '?>' after processing instruction target '\(Self.quoted(target))'", offset: position)
        }
        while position < bytes.count {
            if looking(at: "?>") {
                position += 2
                return
            }
            position += 1
        }
        throw XMLSyntaxError(reason: "document ended inside a processing instruction that opened at byte \(offset)", offset: position)
    }

    // MARK: - XML declaration

    private func startsDeclaration(at index: Int) -> Bool {
        guard bytes[index...].starts(with: "<?xml".utf8) else { return false }
        return index + 5 == bytes.count || Self.isWhitespace(bytes[index + 5]) || bytes[index + 5] == UInt8(ascii: "?")
    }

    /// `<?xml version="1.x" encoding="UTF-8" standalone="yes"?>`, the last two optional, in that order.
    private mutating func xmlDeclaration() throws(XMLSyntaxError) {
        position += 5
        var spaced = skipWhitespace()
        guard spaced, looking(at: "version") else {
            throw XMLSyntaxError(reason: "XML declaration without a version", offset: position)
        }
        let (version, versionOffset) = try declarationValue(named: "version")
        guard version.hasPrefix("1."), version.utf8.count > 2, version.utf8.dropFirst(2).allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw XMLSyntaxError(reason: "XML version '\(Self.quoted(version))' is not supported (only 1.x)", offset: versionOffset)
        }
        spaced = skipWhitespace()
        if spaced && looking(at: "encoding") {
            let (encoding, encodingOffset) = try declarationValue(named: "encoding")
            guard encoding.lowercased() == "utf-8" else {
                throw XMLSyntaxError(reason: "encoding '\(Self.quoted(encoding))' is not supported (only UTF-8)", offset: encodingOffset)
            }
            spaced = skipWhitespace()
        }
        if spaced && looking(at: "standalone") {
            let (standalone, standaloneOffset) = try declarationValue(named: "standalone")
            guard standalone == "yes" || standalone == "no" else {
                throw XMLSyntaxError(reason: "standalone must be 'yes' or 'no', not '\(Self.quoted(standalone))'", offset: standaloneOffset)
            }
            skipWhitespace()
        }
        guard position < bytes.count else { throw XMLSyntaxError(reason: "document ended inside the XML declaration", offset: position) }
        guard looking(at: "?>") else { throw XMLSyntaxError(reason: "expected '?>' to close the XML declaration", offset: position) }
        position += 2
    }

    /// `name = "value"` inside the declaration; position is at the name.
    private mutating func declarationValue(named name: String) throws(XMLSyntaxError) -> (String, offset: Int) {
        position += name.utf8.count
        skipWhitespace()
        guard position < bytes.count else { throw XMLSyntaxError(reason: "document ended inside the XML declaration", offset: position) }
        guard bytes[position] == UInt8(ascii: "=") else {
            throw XMLSyntaxError(reason: "expected '=' after '\(name)' in the XML declaration", offset: position)
        }
        position += 1
        skipWhitespace()
        guard position < bytes.count else { throw XMLSyntaxError(reason: "document ended inside the XML declaration", offset: position) }
        let quote = bytes[position]
        guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
            throw XMLSyntaxError(reason: "\(name) in the XML declaration not in quotes", offset: position)
        }
        guard let closing = bytes[(position + 1)...].firstIndex(of: quote) else {
            throw XMLSyntaxError(reason: "document ended inside the XML declaration", offset: bytes.count)
        }
        let value = string((position + 1)..<closing)
        let offset = position + 1
        position = closing + 1
        return (value, offset)
    }

    // MARK: - Names

    /// A name with at most one colon, neither first nor last (a QName of XML namespaces).
    private mutating func qualifiedName(what: String) throws(XMLSyntaxError) -> Range<Int> {
        let range = try name(what: what)
        var colons = 0
        for index in range where bytes[index] == UInt8(ascii: ":") {
            colons += 1
            if colons > 1 || index == range.lowerBound || index == range.upperBound - 1 {
                throw XMLSyntaxError(reason: "\(what) name '\(Self.quoted(string(range)))' is not a valid qualified name", offset: range.lowerBound)
            }
        }
        return range
    }

    /// An XML Name at position.
    private mutating func name(what: String) throws(XMLSyntaxError) -> Range<Int> {
        let start = position
        guard position < bytes.count else {
            throw XMLSyntaxError(reason: "document ended where \(what) name was expected", offset: position)
        }
        guard Self.startsName(scalarAt(position)) else {
            throw XMLSyntaxError(reason: "expected \(what) name", offset: position)
        }
        position += Self.sequenceLength(bytes[position])
        while position < bytes.count, Self.continuesName(scalarAt(position)) {
            position += Self.sequenceLength(bytes[position])
        }
        return start..<position
    }

    /// The element's name without its namespace prefix, as the decoders look elements up.
    private func localName(_ range: Range<Int>) -> String {
        let local = bytes[range].lastIndex(of: UInt8(ascii: ":")).map { ($0 + 1)..<range.upperBound } ?? range
        return string(local)
    }

    // MARK: - Small helpers

    private func looking(at literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let start = literal.utf8Start
        for index in 0..<count where bytes[position + index] != start[index] { return false }
        return true
    }

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = position
        while position < bytes.count, Self.isWhitespace(bytes[position]) { position += 1 }
        return position > start
    }

    private func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// The scalar starting at index; the document was checked to be valid UTF-8 before parsing.
    private func scalarAt(_ index: Int) -> UInt32 {
        let lead = UInt32(bytes[index])
        switch Self.sequenceLength(bytes[index]) {
        case 1: return lead
        case 2: return (lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
        case 3: return (lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
        default:
            return (lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                | UInt32(bytes[index + 3] & 0x3F)
        }
    }

    private static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0..<0xC0: return 1
        case 0xC0..<0xE0: return 2
        case 0xE0..<0xF0: return 3
        default: return 4
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return true
        default: return false
        }
    }

    private static func quoted(_ text: String) -> String {
        text.count <= quotedNameLimit ? text : String(text.prefix(quotedNameLimit)) + "…"
    }

    /// A decimal or hexadecimal number of at most eight significant digits.
    private static func number(_ digits: ArraySlice<UInt8>, radix: UInt32) -> UInt32? {
        let significant = digits.drop { $0 == UInt8(ascii: "0") }
        guard !digits.isEmpty, significant.count <= 8 else { return nil }
        var value: UInt32 = 0
        for digit in significant {
            let figure: UInt32
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): figure = UInt32(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: figure = UInt32(digit - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16: figure = UInt32(digit - UInt8(ascii: "A")) + 10
            default: return nil
            }
            value = value * radix + figure
        }
        return value
    }

    // MARK: - Characters (XML 1.0, fifth edition)

    /// Char: tab, LF, CR and the scalars from U+0020 on, except the surrogates, U+FFFE and U+FFFF.
    static func isXMLCharacter(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x09, 0x0A, 0x0D, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    static func startsName(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x3A, 0x41...0x5A, 0x5F, 0x61...0x7A, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x2FF, 0x370...0x37D, 0x37F...0x1FFF,
            0x200C...0x200D, 0x2070...0x218F, 0x2C00...0x2FEF, 0x3001...0xD7FF, 0xF900...0xFDCF, 0xFDF0...0xFFFD,
            0x10000...0xEFFFF:
            return true
        default: return false
        }
    }

    static func continuesName(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x2D, 0x2E, 0x30...0x39, 0xB7, 0x300...0x36F, 0x203F...0x2040: return true
        default: return startsName(scalar)
        }
    }

    /// Refuses a document that is not valid UTF-8 or holds a character XML does not allow (NUL and
    /// the other C0 controls but tab, LF and CR; U+FFFE, U+FFFF), before any markup is read.
    private static func checkCharacters(_ bytes: [UInt8]) throws(XMLSyntaxError) {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                guard lead >= 0x20 || lead == 0x09 || lead == 0x0A || lead == 0x0D else {
                    throw XMLSyntaxError(reason: "character U+\(hex(UInt32(lead))) is not allowed in XML", offset: index)
                }
                index += 1
                continue
            }
            let length: Int
            let smallest: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: (length, smallest, scalar) = (2, 0x80, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (length, smallest, scalar) = (3, 0x800, UInt32(lead & 0x0F))
            case 0xF0...0xF4: (length, smallest, scalar) = (4, 0x10000, UInt32(lead & 0x07))
            default: throw XMLSyntaxError(reason: "not valid UTF-8", offset: index)
            }
            guard index + length <= bytes.count else { throw XMLSyntaxError(reason: "not valid UTF-8", offset: index) }
            for next in bytes[(index + 1)..<(index + length)] {
                guard next & 0xC0 == 0x80 else { throw XMLSyntaxError(reason: "not valid UTF-8", offset: index) }
                scalar = scalar << 6 | UInt32(next & 0x3F)
            }
            // Overlong forms, UTF-16 surrogates and scalars past U+10FFFF are not UTF-8.
            guard scalar >= smallest, !(0xD800...0xDFFF).contains(scalar), scalar <= 0x10FFFF else {
                throw XMLSyntaxError(reason: "not valid UTF-8", offset: index)
            }
            guard isXMLCharacter(scalar) else {
                throw XMLSyntaxError(reason: "character U+\(hex(scalar)) is not allowed in XML", offset: index)
            }
            index += length
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
