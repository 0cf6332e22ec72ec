/// The role of this replica under leader election, as `/` shows it.
public struct LeadershipView: Sendable {
    public var role: String
    public var holder: String?
    public var key: String

    public init(role: String, holder: String?, key: String) {
        self.role = role
        self.holder = holder
        self.key = key
    }
}
