import FoundationEssentials

/// Where plugins are looked for, in order: every `--plugin-dir`, then `VPCROUTER_PLUGIN_PATH`
/// (colon-separated), then the executable's own directory, then `/usr/lib/vpcrouter`.
public struct PluginSearchPath: Sendable, Equatable {
    public static let systemDirectory = "/usr/lib/vpcrouter"

    /// Why a directory is searched, as an operator would name it.
    public enum Origin: String, Sendable, Equatable {
        case commandLine = "--plugin-dir"
        case environment = "VPCROUTER_PLUGIN_PATH"
        case executable = "the vpcrouter executable's directory"
        case system = "the system plugin directory"
    }

    public var directories: [String]
    /// Where each directory came from; empty for a search path built from a bare list.
    public var origins: [String: Origin]

    public init(directories: [String], origins: [String: Origin] = [:]) {
        var unique: [String] = []
        for directory in directories where !directory.isEmpty && !unique.contains(directory) {
            unique.append(directory)
        }
        self.directories = unique
        self.origins = origins.filter { unique.contains($0.key) }
    }

    public static func standard(
        pluginDirectories: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executableDirectory: String? = Self.executableDirectory()
    ) -> PluginSearchPath {
        var directories: [(String, Origin)] = pluginDirectories.map { ($0, .commandLine) }
        if let fromEnvironment = environment["VPCROUTER_PLUGIN_PATH"] {
            directories += fromEnvironment.split(separator: ":").map { (String($0), .environment) }
        }
        if let executableDirectory { directories.append((executableDirectory, .executable)) }
        directories.append((systemDirectory, .system))
        var origins: [String: Origin] = [:]
        for (directory, origin) in directories where origins[directory] == nil { origins[directory] = origin }
        return PluginSearchPath(directories: directories.map(\.0), origins: origins)
    }

    /// The directory of the running executable, found through /proc/self/exe.
    public static func executableDirectory() -> String? {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    /// Why `winner` is found before `loser`, both files of searched directories.
    public func precedence(of winner: String, over loser: String) -> String {
        let winnerDirectory = Self.directory(of: winner)
        let loserDirectory = Self.directory(of: loser)
        if winnerDirectory == loserDirectory {
            return "files of one directory are loaded in name order"
        }
        return "\(label(winnerDirectory)) is searched before \(label(loserDirectory))"
    }

    func label(_ directory: String) -> String {
        origins[directory].map { "\(directory) (\($0.rawValue))" } ?? directory
    }

    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return String(file[..<slash])
    }
}
