import PluginABI

/// What a plugin does: produce route specs (`-m`) or judge routers (`-H`).
public enum PluginKind: String, Sendable, CustomStringConvertible {
    case mode
    case health

    init?(abiValue: vpcr_kind) {
        switch abiValue {
        case VPCR_KIND_MODE: self = .mode
        case VPCR_KIND_HEALTH: self = .health
        default: return nil
        }
    }

    public var description: String { rawValue }
}
