/// Trimming with the same character classes as Foundation's `CharacterSet.whitespaces` and
/// `.whitespacesAndNewlines`, for modules that stay on FoundationEssentials (which lacks both).
extension StringProtocol {
    /// Drops leading and trailing spaces and tabs (Unicode category Zs, U+0009 and U+200B).
    public func trimmingWhitespace() -> String {
        trimming(where: \.isSpaceOrTab)
    }

    /// Drops leading and trailing spaces, tabs and line breaks (also U+000A–U+000D, U+0085, U+2028, U+2029).
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
    /// Foundation's fixed list (CFCharacterSet): Unicode's Zs, the tab, and U+200B ZERO WIDTH SPACE.
    fileprivate var isSpaceOrTab: Bool {
        switch value {
        case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    fileprivate var isSpaceTabOrLineBreak: Bool {
        switch value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: true
        default: isSpaceOrTab
        }
    }
}
