import HTTPClient
import Testing

@testable import EC2

/// The rules of the EC2 answer parser itself: what it accepts and the exact refusal (reason and
/// byte offset) for what it does not.
@Suite("XML parser for EC2 answers")
struct XMLDocumentParserTests {
    static func parse(_ text: String) throws(XMLSyntaxError) -> XMLTreeNode { try XMLTreeNode.parse(Array(text.utf8)) }

    /// The refusal of `bytes`, or an issue when they parse.
    static func refusal(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> XMLSyntaxError? {
        do {
            let root = try XMLTreeNode.parse(bytes)
            Issue.record("parsed as <\(root.name)>", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Accepted

    @Test func theFivePredefinedEntitiesAndCharacterReferencesAreReplaced() throws {
        let root = try Self.parse("<a>&lt;&gt;&amp;&apos;&quot; &#65;&#x42;&#x00063;&#x1F600;&#233;</a>")
        #expect(root.text == "<>&'\" ABc\u{1F600}\u{E9}")
    }

    @Test func cdataIsKeptVerbatimAndJoinsTheText() throws {
        let root = try Self.parse("<Code>Dry<![CDATA[Run<b>&amp;]]]]>Operation</Code>")
        #expect(root.text == "DryRun<b>&amp;]]Operation")
    }

    @Test func commentsAndProcessingInstructionsAreSkippedEverywhere() throws {
        let root = try Self.parse("""
            <?xml version="1.0"?><!-- before --><?pi before?>
            <r><!-- inside - with a dash --><a>x<?pi?>y</a><?target data with ? and > inside?></r>
            <!-- after --><?pi?>
            """)
        #expect(root.name == "r" && root.children.map(\.name) == ["a"])
        #expect(root.string("a") == "xy")
    }

    @Test("the XML declaration", arguments: [
        #"<?xml version="1.0"?><r/>"#,
        #"<?xml version='1.1' encoding='utf-8' standalone='yes' ?><r/>"#,
        "<?xml version = \"1.0\"\n encoding=\"UTF-8\"?>\n<r/>",
        "\u{FEFF}<?xml version=\"1.0\"?><r/>",
    ])
    func theXMLDeclarationIsRead(_ document: String) throws {
        #expect(try Self.parse(document).name == "r")
    }

    @Test func attributesAreDecodedAndNamespacePrefixesDropped() throws {
        let root = try Self.parse("""
            <ec2:R xmlns:ec2="http://ec2.amazonaws.com/doc/2016-11-15" a='it&apos;s' b="x\ty\r\nz &#10;"><ec2:item k = "v" /></ec2:R>
            """)
        #expect(root.name == "R")
        #expect(root.attribute("xmlns:ec2") == "http://ec2.amazonaws.com/doc/2016-11-15")
        #expect(root.attribute("a") == "it's")
        #expect(root.attribute("b") == "x y z \n")  // whitespace is a space; a reference keeps its character
        #expect(root.children.first?.name == "item" && root.children.first?.attribute("k") == "v")
        #expect(root.attribute("missing") == nil)
    }

    @Test func lineEndsBecomeLineFeeds() throws {
        let root = try XMLTreeNode.parse(Array("<r>a\r\nb\rc<![CDATA[\r\n]]></r>".utf8))
        #expect(root.text == "a\nb\nc\n")
    }

    @Test func nonASCIINamesAndTextAreRead() throws {
        let root = try Self.parse("<Größe návrh=\"ü\">日本語</Größe>")
        #expect(root.name == "Größe" && root.attribute("návrh") == "ü" && root.text == "日本語")
    }

    @Test func textIsTrimmedOnlyByTheAccessors() throws {
        let root = try Self.parse("<r><a>\n  rtb-1 \t</a><b>   </b><c/></r>")
        #expect(root.child("a")?.text == "\n  rtb-1 \t")
        #expect(root.string("a") == "rtb-1")
        #expect(root.string("b") == nil && root.string("c") == nil && root.string("d") == nil)
    }

    @Test func aHundredLevelsAreAccepted() throws {
        let depth = XMLDocumentParser.maximumDepth
        var node = try Self.parse(String(repeating: "<a>", count: depth) + "x" + String(repeating: "</a>", count: depth))
        for _ in 1..<depth { node = try #require(node.children.first) }
        #expect(node.text == "x" && node.children.isEmpty)
    }

    @Test func aProcessingInstructionWithoutDataInAnAnswerIsSkipped() throws {
        // FoundationXML crashed on `<?pi?>`; this parser reads it as the empty instruction it is.
        let response = HTTPResponse(status: 200, body: Array("<DescribeRouteTablesResponse><?pi?></DescribeRouteTablesResponse>".utf8))
        let root = try EC2Client.decodeResponse(response, action: "DescribeRouteTables")
        #expect(root.name == "DescribeRouteTablesResponse" && root.children.isEmpty)
    }

    // MARK: - Refused, with the reason and the byte offset

    struct Refusal: Sendable, CustomStringConvertible {
        let input: [UInt8]
        let reason: String
        let offset: Int
        let label: String

        init(_ input: String, _ reason: String, at offset: Int) {
            self.init(bytes: Array(input.utf8), reason, at: offset, label: input)
        }

        init(bytes: [UInt8], _ reason: String, at offset: Int, label: String? = nil) {
            self.input = bytes
            self.reason = reason
            self.offset = offset
            self.label = label ?? bytes.map { String($0, radix: 16) }.joined(separator: " ")
        }

        var description: String { String(label.prefix(60)) }
    }

    static let refusals: [Refusal] = [
        // Document type declarations: no DTD, so no entity expansion to bound.
        Refusal("<!DOCTYPE r><r/>", "a DOCTYPE is refused (document type declarations are not supported)", at: 0),
        Refusal(#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>"#,
                "a DOCTYPE is refused (document type declarations are not supported)", at: 21),
        Refusal("<r><!DOCTYPE r></r>", "a DOCTYPE is refused (document type declarations are not supported)", at: 3),
        // Entities and references.
        Refusal("<r>&nbsp;</r>", "undeclared entity '&nbsp;'", at: 3),
        Refusal("<r>AT&T</r>", "entity reference '&T' not closed with ';'", at: 5),
        Refusal("<r>a & b</r>", "'&' not followed by an entity name or '#'", at: 5),
        Refusal("<r>&#xZZ;</r>", "malformed character reference '&#xZZ;'", at: 3),
        Refusal("<r>&#X41;</r>", "malformed character reference '&#X41;'", at: 3),
        Refusal("<r>&#;</r>", "malformed character reference '&#;'", at: 3),
        Refusal("<r>&#65</r>", "character reference '&#65' not closed with ';'", at: 3),
        Refusal("<r>&#0;</r>", "character reference '&#0;' is not a character XML allows", at: 3),
        Refusal("<r>&#xD800;</r>", "character reference '&#xD800;' is not a character XML allows", at: 3),
        Refusal("<r>&#x110000;</r>", "character reference '&#x110000;' is not a character XML allows", at: 3),
        Refusal("<r a='&bad;'/>", "undeclared entity '&bad;'", at: 6),
        // Markup.
        Refusal("<r></s>", "end tag </s> does not match <r> opened at byte 0", at: 3),
        Refusal("<r><a></r>", "end tag </r> does not match <a> opened at byte 3", at: 6),
        Refusal("<r></r >x", "text outside the root element", at: 8),
        Refusal("<r/><r/>", "content after the root element", at: 4),
        Refusal("OK", "text outside the root element", at: 0),
        Refusal("<!-- only a comment -->", "no root element", at: 23),
        Refusal("< r/>", "expected an element name", at: 1),
        Refusal("<1r/>", "expected an element name", at: 1),
        Refusal("<a:b:c/>", "an element name 'a:b:c' is not a valid qualified name", at: 1),
        Refusal("<r></ r>", "expected an end tag name", at: 5),
        Refusal("<r></r x>", "expected '>' to close the end tag of <r>", at: 7),
        Refusal(#"<r a="1" a="2"/>"#, "attribute 'a' appears twice in <r>", at: 9),
        Refusal(#"<r a="1"b="2"/>"#, "expected whitespace, '>' or '/>' in the start tag of <r>", at: 8),
        Refusal("<r a=1/>", "attribute value not in quotes", at: 5),
        Refusal("<r a/>", "expected '=' after attribute 'a'", at: 4),
        Refusal(#"<r a="<"/>"#, "'<' inside an attribute value", at: 6),
        Refusal("<r>a]]>b</r>", "']]>' in text outside a CDATA section", at: 4),
        Refusal("<r><!-- a -- b --></r>", "'--' inside a comment", at: 10),
        Refusal("<r><!-- a ---></r>", "'--' inside a comment", at: 10),
        Refusal("<r><?></r>", "processing instruction without a target", at: 5),
        Refusal("<r><?pi/?></r>", "expected whitespace or '?>' after processing instruction target 'pi'", at: 7),
        Refusal(#"<r/><?xml version="1.0"?>"#, "XML declaration not at the start of the document", at: 4),
        Refusal(#" <?xml version="1.0"?><r/>"#, "XML declaration not at the start of the document", at: 1),
        Refusal("<?xml?><r/>", "XML declaration without a version", at: 5),
        Refusal(#"<?xml encoding="UTF-8"?><r/>"#, "XML declaration without a version", at: 6),
        Refusal(#"<?xml version="2.0"?><r/>"#, "XML version '2.0' is not supported (only 1.x)", at: 15),
        Refusal(#"<?xml version="1.0" encoding="ISO-8859-1"?><r/>"#, "encoding 'ISO-8859-1' is not supported (only UTF-8)", at: 30),
        Refusal(#"<?xml version="1.0" standalone="maybe"?><r/>"#, "standalone must be 'yes' or 'no', not 'maybe'", at: 32),
        Refusal(#"<?xml version="1.0" ?x><r/>"#, "expected '?>' to close the XML declaration", at: 20),
        Refusal(#"<?xml version=1.0?><r/>"#, "version in the XML declaration not in quotes", at: 14),
        // Truncated documents.
        Refusal("", "empty document", at: 0),
        Refusal(" \r\n\t", "empty document", at: 4),
        Refusal(#"<?xml version="1.0" "#, "document ended inside the XML declaration", at: 20),
        Refusal("<r><a>text", "document ended inside <a> (opened at byte 3)", at: 10),
        Refusal("<r", "document ended inside the start tag of <r>", at: 2),
        Refusal("<r a='1", "document ended inside an attribute value that opened at byte 5", at: 7),
        Refusal("<r></r", "document ended inside the end tag of <r>", at: 6),
        Refusal("<r></", "document ended where an end tag name was expected", at: 5),
        Refusal("<r><![CDATA[abc]]", "document ended inside a CDATA section that opened at byte 3", at: 17),
        Refusal("<r><!-- abc --", "document ended inside a comment that opened at byte 3", at: 14),
        Refusal("<r><?pi abc?", "document ended inside a processing instruction that opened at byte 3", at: 12),
        // Characters and encoding.
        Refusal(bytes: Array("<r>".utf8) + [0xFF] + Array("</r>".utf8), "not valid UTF-8", at: 3),
        Refusal(bytes: Array("<r>".utf8) + [0xC3], "not valid UTF-8", at: 3),  // cut in the middle of "é"
        Refusal(bytes: Array("<r>".utf8) + [0xC0, 0x80] + Array("</r>".utf8), "not valid UTF-8", at: 3),  // overlong NUL
        Refusal(bytes: Array("<r>".utf8) + [0xED, 0xA0, 0x80] + Array("</r>".utf8), "not valid UTF-8", at: 3),  // a surrogate
        Refusal(bytes: Array("<r>".utf8) + [0xF4, 0x90, 0x80, 0x80] + Array("</r>".utf8), "not valid UTF-8", at: 3),  // past U+10FFFF
        Refusal(bytes: Array("<r>".utf8) + [0xE2, 0x28, 0xA1] + Array("</r>".utf8), "not valid UTF-8", at: 3),
        Refusal(bytes: Array("<r>ab".utf8) + [0x00] + Array("</r>".utf8), "character U+0000 is not allowed in XML", at: 5),
        Refusal(bytes: Array("<r>".utf8) + [0x1B] + Array("</r>".utf8), "character U+001B is not allowed in XML", at: 3),
        Refusal(bytes: Array("<r>".utf8) + [0xEF, 0xBF, 0xBF] + Array("</r>".utf8), "character U+FFFF is not allowed in XML", at: 3),
        Refusal(bytes: [0xFE, 0xFF, 0x00, 0x3C], "not valid UTF-8", at: 0),  // UTF-16 with its byte order mark
    ]

    @Test(arguments: refusals)
    func refusesWithTheReasonAndOffset(_ refusal: Refusal) {
        let error = Self.refusal(refusal.input)
        #expect(error?.reason == refusal.reason)
        #expect(error?.offset == refusal.offset)
        #expect(error?.description == "malformed XML at byte \(refusal.offset): \(refusal.reason)")
    }

    @Test func oneLevelTooManyIsRefusedAtItsStartTag() {
        let depth = XMLDocumentParser.maximumDepth + 1
        let error = Self.refusal(Array((String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)).utf8))
        #expect(error == XMLSyntaxError(reason: "elements nested deeper than 100 levels", offset: 300))
    }

    @Test func anOversizedDocumentIsRefusedBeforeItIsRead() {
        let limit = XMLDocumentParser.maximumDocumentSize
        // At the limit the document is read (and refused for its first byte); one byte more, it is not read.
        var document = [0x00] + [UInt8](repeating: UInt8(ascii: " "), count: limit - 1)
        #expect(Self.refusal(document) == XMLSyntaxError(reason: "character U+0000 is not allowed in XML", offset: 0))
        document.append(UInt8(ascii: " "))
        #expect(Self.refusal(document) == XMLSyntaxError(reason: "document of \(limit + 1) bytes is over the 32 MiB limit", offset: limit))
    }

    /// Every cut of a real answer short of its end is refused (never read as a smaller document),
    /// and the refusal points inside what was received.
    @Test func everyTruncationOfAnAnswerIsRefused() throws {
        let answer = Array(ResponseDecodingTests.routeTablesXML.utf8)
        #expect(try XMLTreeNode.parse(answer).name == "DescribeRouteTablesResponse")
        for length in 0..<answer.count {
            let error = Self.refusal(Array(answer[..<length]))
            #expect(error.map { $0.offset <= length && !$0.reason.isEmpty } == true, "cut at \(length)")
        }
    }

    @Test func errorMessagesStayShortWhateverTheNames() {
        let long = String(repeating: "n", count: 5_000)
        let error = Self.refusal(Array("<\(long)></x>".utf8))
        let reason = error?.reason ?? ""
        #expect(reason.hasPrefix("end tag </x> does not match <nnnn") && reason.count < 120, "\(reason)")
    }

    /// The client's message keeps the parser's reason and offset.
    @Test func theClientErrorNamesTheReasonAndOffset() {
        let response = HTTPResponse(status: 200, body: Array("<DescribeRouteTablesResponse>&nbsp;</DescribeRouteTablesResponse>".utf8))
        let error = #expect(throws: EC2Error.self) { try EC2Client.decodeResponse(response, action: "DescribeRouteTables") }
        #expect(error?.code == .malformedResponse)
        #expect(error?.message.hasPrefix("HTTP 200 answer is not XML (undeclared entity '&nbsp;') at byte 29: <Describe") == true, "\(String(describing: error))")
    }
}
