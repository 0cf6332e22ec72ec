import Foundation
import RouteModel
import Testing

/// The FoundationEssentials-only trimming must cut exactly what Foundation's character sets cut.
@Suite struct WhitespaceTrimmingTests {
    static let samples = [
        "", " ", "\t", "plain", "  both ends\t", "\tinner  space kept\t ", "\n line break \r\n", "\r\n",
        "\u{00A0}no-break space\u{00A0}", "\u{3000}ideographic\u{2003}", "\u{2028}line separator\u{2029}",
        "\u{0085}next line\u{000B}\u{000C}", "\u{200B}zero width is not space\u{200B}", "é\u{0301} ",
        " \u{0301}combining after a space", "key = value ; comment", "\u{FEFF}byte order mark", "\u{1680}ogham\u{205F}", "\u{180E}mongolian\u{180E}", "\u{202F}narrow\u{200A}",
    ]

    @Test("trimmingWhitespace() cuts what trimmingCharacters(in: .whitespaces) cuts", arguments: samples)
    func whitespace(sample: String) {
        #expect(sample.trimmingWhitespace() == sample.trimmingCharacters(in: .whitespaces))
        #expect(sample[...].trimmingWhitespace() == sample.trimmingCharacters(in: .whitespaces))
    }

    @Test("trimmingWhitespaceAndNewlines() cuts what trimmingCharacters(in: .whitespacesAndNewlines) cuts", arguments: samples)
    func whitespaceAndNewlines(sample: String) {
        #expect(sample.trimmingWhitespaceAndNewlines() == sample.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
