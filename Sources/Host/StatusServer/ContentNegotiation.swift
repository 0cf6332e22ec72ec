/// Chooses how a status page is rendered from the request's Accept header.
enum StatusRendering: Equatable {
    case json, html, plainText

    /// JSON by default and for `application/json`; HTML for browsers; indented JSON as plain text
    /// for `text/plain`; nil (406) for anything else.
    static func choose(accept: String?) -> StatusRendering? {
        guard let accept, accept.contains(where: { !isBlank($0) }) else { return .json }
        // A part can be parameters alone (";q=1"); its media range is then empty and matches nothing.
        let ranges = accept.split(separator: ",").map { withoutBlanks($0.prefix { $0 != ";" }).lowercased() }
        for range in ranges {
            switch range {
            case "application/json", "application/*", "*/*": return .json
            case "text/html": return .html
            case "text/plain", "text/*": return .plainText
            default: continue
            }
        }
        return nil
    }

    /// Optional whitespace in HTTP headers is spaces and tabs.
    private static func isBlank(_ character: Character) -> Bool { character == " " || character == "\t" }

    private static func withoutBlanks(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) }) else { return "" }
        return text[first...last]
    }
}
