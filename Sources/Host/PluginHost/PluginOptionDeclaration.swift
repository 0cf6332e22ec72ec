import PluginABI

/// One option a plugin declares as data; the host parses and checks its value.
public struct PluginOptionDeclaration: Sendable, Equatable {
    public enum ValueType: String, Sendable {
        case string, int, float, bool, ip, cidr, path
    }

    public let longName: String
    public let shortName: Character?
    public let type: ValueType
    public let isRequired: Bool
    public let isSecret: Bool
    /// The value names other health plugins that this plugin opens as children.
    public let namesPlugins: Bool
    public let valueName: String?
    public let defaultValue: String?
    public let help: String
    /// Inclusive bounds for int and float options.
    public let bounds: ClosedRange<Double>?

    public init(
        longName: String, shortName: Character? = nil, type: ValueType, isRequired: Bool = false,
        isSecret: Bool = false, namesPlugins: Bool = false, valueName: String? = nil,
        defaultValue: String? = nil, help: String, bounds: ClosedRange<Double>? = nil
    ) {
        self.longName = longName
        self.shortName = shortName
        self.type = type
        self.isRequired = isRequired
        self.isSecret = isSecret
        self.namesPlugins = namesPlugins
        self.valueName = valueName
        self.defaultValue = defaultValue
        self.help = help
        self.bounds = bounds
    }

    /// `--long_name` and `--long-name` are the same option.
    public var normalizedName: String { Self.normalize(longName) }

    public static func normalize(_ name: String) -> String {
        String(name.map { $0 == "_" ? "-" : $0 })
    }

    static func valueType(_ abi: vpcr_option_type) -> ValueType? {
        switch abi {
        case VPCR_OPT_STRING: .string
        case VPCR_OPT_INT: .int
        case VPCR_OPT_FLOAT: .float
        case VPCR_OPT_BOOL: .bool
        case VPCR_OPT_IP: .ip
        case VPCR_OPT_CIDR: .cidr
        case VPCR_OPT_PATH: .path
        default: nil
        }
    }
}
