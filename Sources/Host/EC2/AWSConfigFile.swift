import FoundationEssentials
import RouteModel

/// The INI dialect of ~/.aws/credentials and ~/.aws/config: `[section]`, `key = value`, `#`/`;` comments.
public struct AWSConfigFile: Sendable, Equatable {
    public private(set) var sections: [String: [String: String]] = [:]

    public init(text: String) {
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingWhitespace()
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            // Indented lines continue nested blocks (s3 = ...); the router has no use for those.
            guard let section = current, let equals = line.firstIndex(of: "="),
                rawLine.first != " " && rawLine.first != "\t"
            else { continue }
            let key = line[..<equals].trimmingWhitespace().lowercased()
            var value = line[line.index(after: equals)...].trimmingWhitespace()
            if let comment = value.firstRange(of: " #") ?? value.firstRange(of: " ;") {
                value = value[..<comment.lowerBound].trimmingWhitespace()
            }
            sections[section, default: [:]][key] = value
        }
    }

    /// Reads a file; a missing file is an empty config, as the SDKs treat it.
    public static func load(path: String) -> AWSConfigFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return AWSConfigFile(text: String(decoding: data, as: UTF8.self))
    }

    /// A profile from the credentials file (`[name]`).
    public func credentialsProfile(_ name: String) -> [String: String]? { sections[name] }

    /// A profile from the config file (`[profile name]`, but `[default]` for the default).
    public func configProfile(_ name: String) -> [String: String]? {
        if name == "default" { return sections["default"] ?? sections["profile default"] }
        return sections["profile \(name)"]
    }
}
