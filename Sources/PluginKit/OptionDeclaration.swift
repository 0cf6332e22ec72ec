import PluginABI

/// One row of the descriptor's option table, written with names instead of a C initialiser.
public struct OptionDeclaration {
    let declaration: vpcr_option_decl

    /// `min` > `max` (the default) means no bounds. `refersToPlugins`: the value names health
    /// plugins this one opens as children (VPCR_OPT_F_PLUGIN_REFS).
    public init(
        _ name: StaticString, type: vpcr_option_type, valueName: StaticString, defaultValue: StaticString? = nil,
        help: StaticString, min: Double = 1, max: Double = 0, required: Bool = false, shortName: Character? = nil,
        refersToPlugins: Bool = false
    ) {
        declaration = vpcr_option_decl(
            struct_size: UInt32(MemoryLayout<vpcr_option_decl>.size),
            flags: (required ? UInt32(VPCR_OPT_F_REQUIRED) : 0) | (refersToPlugins ? UInt32(VPCR_OPT_F_PLUGIN_REFS) : 0),
            type: type,
            short_name: shortName?.asciiValue.map(Int32.init) ?? 0,
            long_name: staticCString(name),
            value_name: staticCString(valueName),
            default_value: defaultValue.map(staticCString),
            help: staticCString(help),
            min: min,
            max: max
        )
    }
}
