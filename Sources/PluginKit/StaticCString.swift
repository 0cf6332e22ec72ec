/// A C string pointer into a string literal: static for the life of the process, so it can sit in
/// the descriptor and option table the host reads (plugins are never unloaded).
@inline(__always)
public func staticCString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}
