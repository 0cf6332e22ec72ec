import Foundation

/// Chooses how a status page is rendered from the request's Accept header.
enum StatusRendering: Equatable {
    case json, html, plainText

    /// JSON by default and for `application/json`; HTML for browsers; indented JSON as plain text
    /// for `text/plain`; nil (406) for anything else.
    static func choose(accept: String?) -> StatusRendering? {
        guard let accept, !accept.trimmingCharacters(in: .whitespaces).isEmpty else { return .json }
        let ranges = accept.split(separator: ",").map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
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
}
