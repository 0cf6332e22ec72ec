import RouteModel

/// Parses the command-line words the core parser did not recognise against the options the
/// selected plugins declared. The host owns parsing and type checks; plugins get canonical text.
public struct PluginOptionParser: Sendable {
    /// The plugins whose options are accepted, in the order their options are listed.
    public let selected: [LoadedPlugin]
    /// Every loaded plugin, to say which one owns an option that is not selected.
    public let all: [LoadedPlugin]

    public init(selected: [LoadedPlugin], all: [LoadedPlugin]) {
        self.selected = selected
        self.all = all
    }

    /// Values per plugin name: (declared long name, canonical value), defaults filled in.
    public func parse(_ words: [String]) throws(PluginOptionError) -> [String: [(String, String)]] {
        var given: [String: [String: String]] = [:]
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            var name: String
            var inlineValue: String?
            if word.hasPrefix("--") {
                name = String(word.dropFirst(2))
                if let equals = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
            } else if word.hasPrefix("-"), word.count >= 2 {
                let letter = word[word.index(after: word.startIndex)]
                guard let owner = selected.first(where: { $0.options.contains { $0.shortName == letter } }),
                      let option = owner.options.first(where: { $0.shortName == letter })
                else {
                    throw PluginOptionError("unknown option '\(word)'")
                }
                name = option.longName
                if word.count > 2 { inlineValue = String(word.dropFirst(2)) }
            } else {
                throw PluginOptionError("unexpected argument '\(word)'")
            }
            let normalized = PluginOptionDeclaration.normalize(name)
            guard let (plugin, option) = owner(of: normalized) else {
                if let other = all.first(where: { $0.options.contains { $0.normalizedName == normalized } }) {
                    let flag = other.kind == .mode ? "-m" : "-H"
                    throw PluginOptionError("option --\(name) belongs to the \(other.name) plugin, which is not selected (\(flag) \(other.name))")
                }
                throw PluginOptionError("unknown option '--\(name)'")
            }
            let text: String
            if option.type == .bool {
                if let inlineValue {
                    guard ["true", "false"].contains(inlineValue) else {
                        throw PluginOptionError("--\(option.longName) is a flag; it takes no value (or =true/=false)")
                    }
                    text = inlineValue
                } else {
                    text = "true"
                }
            } else if let inlineValue {
                text = inlineValue
            } else {
                guard index < words.count else { throw PluginOptionError("--\(option.longName) needs a value") }
                text = words[index]
                index += 1
            }
            switch Self.check(text, for: option) {
            case .success(let canonical): given[plugin.name, default: [:]][option.longName] = canonical
            case .failure(let problem):
                let shown = option.isSecret ? "(secret)" : "'\(text)'"
                throw PluginOptionError("--\(option.longName) \(shown): \(problem)")
            }
        }
        var result: [String: [(String, String)]] = [:]
        for plugin in selected {
            var values: [(String, String)] = []
            for option in plugin.options {
                if let value = given[plugin.name]?[option.longName] {
                    values.append((option.longName, value))
                } else if let value = option.defaultValue {
                    values.append((option.longName, value))
                } else if option.type == .bool {
                    values.append((option.longName, "false"))
                } else if option.isRequired {
                    throw PluginOptionError("--\(option.longName) is required by the \(plugin.name) plugin")
                }
            }
            result[plugin.name] = values
        }
        return result
    }

    func owner(of normalizedName: String) -> (LoadedPlugin, PluginOptionDeclaration)? {
        for plugin in selected {
            if let option = plugin.options.first(where: { $0.normalizedName == normalizedName }) {
                return (plugin, option)
            }
        }
        return nil
    }

    /// Checks one value against its declaration; returns the canonical text or the problem.
    public static func check(_ text: String, for option: PluginOptionDeclaration) -> Result<String, OptionValueProblem> {
        func inBounds(_ value: Double) -> Bool {
            option.bounds.map { $0.contains(value) } ?? true
        }
        func boundsText() -> String {
            guard let bounds = option.bounds else { return "" }
            let format = { (value: Double) in value == value.rounded() ? String(Int64(value)) : String(value) }
            return "must be between \(format(bounds.lowerBound)) and \(format(bounds.upperBound))"
        }
        switch option.type {
        case .string, .path:
            if text.isEmpty { return .failure(OptionValueProblem("an empty value")) }
            if text.utf8.contains(0) { return .failure(OptionValueProblem("contains a NUL byte")) }
            return .success(text)
        case .int:
            guard let value = Int64(text) else { return .failure(OptionValueProblem("not an integer")) }
            guard inBounds(Double(value)) else { return .failure(OptionValueProblem(boundsText())) }
            return .success(String(value))
        case .float:
            guard let value = Double(text), value.isFinite else { return .failure(OptionValueProblem("not a number")) }
            guard inBounds(value) else { return .failure(OptionValueProblem(boundsText())) }
            return .success(text)
        case .bool:
            guard text == "true" || text == "false" else { return .failure(OptionValueProblem("expected true or false")) }
            return .success(text)
        case .ip:
            // ABI 1.0 promises plugins a dotted quad for VPCR_OPT_IP and an IPv4 CIDR for
            // VPCR_OPT_CIDR; IPv6 option values need option types of a later minor.
            switch IPv4Address.parse(text) {
            case .success(let address): return .success(address.description)
            case .failure(let error): return .failure(OptionValueProblem("not a valid IPv4 address: \(error.problem)"))
            }
        case .cidr:
            switch IPv4CIDR.parse(text) {
            case .success(let cidr): return .success(cidr.description)
            case .failure(let error): return .failure(OptionValueProblem("not a valid CIDR: \(error.problem)"))
            }
        }
    }
}

/// A plugin option on the command line that cannot be used: a usage error (exit 2).
public struct PluginOptionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Why one option value is unusable.
public struct OptionValueProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
