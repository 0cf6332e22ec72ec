import FoundationEssentials
import RouteModel

/// The HTML view of a status document, for browsers: the indented JSON with `_href` values as links.
enum StatusPage {
    static func html(title: String, document: JSONValue) -> String {
        let escaped = escape(document.serialized(pretty: true))
        let linked = escaped.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.contains("&quot;_href&quot;: &quot;") else { return String(line) }
            let parts = line.components(separatedBy: "&quot;_href&quot;: &quot;")
            let target = parts[1].prefix { $0 != "&" }
            return parts[0] + "&quot;_href&quot;: <a href=\"\(target)\">\(target)</a>"
        }
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>vpcrouter: \(escape(title))</title></head>
            <body><h3>vpcrouter: \(escape(title))</h3><hr><pre>\(linked.joined(separator: "\n"))</pre></body></html>

            """
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
