import PluginABI

/// The option values of create(), copied out of the borrowed array.
public struct OptionValues: Sendable {
    private var values: [String: String] = [:]

    public init(_ options: UnsafePointer<vpcr_option_value>?, count: UInt32) {
        guard let options else { return }
        for index in 0..<Int(count) {
            let option = options[index]
            guard let name = option.long_name, let value = option.value else { continue }
            values[String(cString: name)] = String(cString: value)
        }
    }

    public subscript(_ name: String) -> String? {
        values[name]
    }

    /// A positive number of seconds within bounds, or the default when absent.
    public func seconds(_ name: String, default defaultValue: Double?, min: Double, max: Double) -> Result<Double?, PluginFailure> {
        guard let text = values[name] else { return .success(defaultValue) }
        guard let value = Double(text), value.isFinite, value >= min, value <= max else {
            return .failure(PluginFailure(config: "\(name) must be a number of seconds from \(min) to \(max), got '\(text)'"))
        }
        return .success(value)
    }
}
