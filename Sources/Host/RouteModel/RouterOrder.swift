/// How a CIDR's router list is read.
public enum RouterOrder: String, Equatable, Hashable, Sendable, CaseIterable {
    /// Every listed router is equal (the original's meaning, and the plain list form's).
    case any
    /// The list is a preference order: the first router in order that can carry traffic gets a
    /// new route; the others are backups.
    case preference
}
