/// A router's condition as the health policy sees it, after fall, rise and hold-down are applied.
/// The raw values are the words the status documents, plan notes and metrics labels use.
public enum RouterCondition: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Not judged yet (new target, or only `unknown` verdicts so far). Not failed, so eligible.
    case unknown
    case healthy
    /// Failed its last rounds, but fewer than `fall` in a row: keeps the routes it carries (that is
    /// what `fall` is for), and is not picked as a new target while a healthy router exists.
    case suspect
    /// Usable but to be avoided, because a plugin said so: its routes move to a healthier router.
    case questionable
    /// Not eligible as a route target.
    case failed

    public var description: String { rawValue }
}
