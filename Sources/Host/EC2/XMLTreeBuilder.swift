import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// XMLParser delegate that collects elements into `XMLTreeNode`s.
final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    private struct OpenElement {
        var name: String
        var text = ""
        var children: [XMLTreeNode] = []
    }

    /// EC2 answers nest about ten levels; a much deeper document is refused before the tree (and
    /// the recursion that builds and frees it) can exhaust the stack.
    static let maximumDepth = 100

    private var stack: [OpenElement] = []
    private(set) var root: XMLTreeNode?
    private(set) var failure: String?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if root != nil {
            failure = "content after the root element"
            parser.abortParsing()
            return
        }
        if stack.count >= Self.maximumDepth {
            failure = "elements nested deeper than \(Self.maximumDepth) levels"
            parser.abortParsing()
            return
        }
        stack.append(OpenElement(name: elementName))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard let open = stack.popLast() else {
            failure = "unbalanced end tag \(elementName)"
            parser.abortParsing()
            return
        }
        let node = XMLTreeNode(name: open.name, text: open.text, children: open.children)
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        if failure == nil { failure = "\(parseError)" }
    }

    func parserDidEndDocument(_ parser: XMLParser) {
        if !stack.isEmpty && failure == nil { failure = "document ended inside <\(stack.last!.name)>" }
    }
}
