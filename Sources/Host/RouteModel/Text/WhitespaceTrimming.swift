/// Trimming with the same character classes as Foundation's `CharacterSet.whitespaces` and
/// `.whitespacesAndNewlines`, for modules that stay on FoundationEssentials (which lacks both).
extension StringProtocol {
    /// Drops leading and trailing spaces and tabs (Unicode category Zs and U+0009).
    public func trimmingWhitespace() -> String {
        trimming(where: \.isSpaceOrTab)
    }

    /// Drops leading and trailing spaces, tabs and line breaks (Zs, Zl, Zp, U+0009–U+000D, U+0085).
    public func trimmingWhitespaceAndNewlines() -> String {
        trimming(where: \.isSpaceTabOrLineBreak)
    }

    private func trimming(where isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, isTrimmed(first) { scalars.removeFirst() }
        while let last = scalars.last, isTrimmed(last) { scalars.removeLast() }
        return String(scalars)
    }
}

extension Unicode.Scalar {
    fileprivate var isSpaceOrTab: Bool {
        value == 0x09 || properties.generalCategory == .spaceSeparator
    }

    fileprivate var isSpaceTabOrLineBreak: Bool {
        switch value {
        case 0x09...0x0D, 0x85: true
        default:
            switch properties.generalCategory {
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
    }
}
