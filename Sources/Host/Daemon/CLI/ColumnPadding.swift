extension String {
    /// Spaces appended up to `width` characters, or the first `width` characters when longer:
    /// Foundation's `padding(toLength:withPad:startingAt:)` with a space, for the CLI's columns.
    func padded(toWidth width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }
}
