import PluginABI

/// The plugin ABI this host speaks, and the version of the host itself.
public enum PluginABIVersion {
    public static let major = UInt32(VPCR_ABI_MAJOR)
    public static let minor = UInt32(VPCR_ABI_MINOR)
    public static let hostVersion = "0.1.0"

    public static var text: String { "\(major).\(minor)" }
}

/// Sizes frozen at ABI 1.0 (the header's `*_V1_0_SIZE` macros, which Swift cannot import).
enum ABI10Size {
    /// `vpcr_plugin_v1` up to and including `probe`.
    static let pluginDescriptor = 96
    static let optionDeclaration = 64
    static let knownOptionFlags = UInt32(VPCR_OPT_F_REQUIRED | VPCR_OPT_F_SECRET | VPCR_OPT_F_PLUGIN_REFS)
}
