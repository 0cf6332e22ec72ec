/// One probe's opinion of one router for one round: what a health plugin says, before the health
/// policy applies fall, rise and hold-down. The plugin ABI's `vpcr_verdict` maps onto it in
/// PluginHost.
public enum HealthVerdict: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No opinion this round: the router keeps its previous condition and counters.
    case unknown
    case healthy
    /// Usable, but to be avoided while a healthy router exists.
    case questionable
    case failed

    public var description: String { rawValue }
}
