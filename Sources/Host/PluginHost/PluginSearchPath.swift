import Foundation

/// Where plugins are looked for, in order: every `--plugin-dir`, then `VPCROUTER_PLUGIN_PATH`
/// (colon-separated), then the executable's own directory, then `/usr/lib/vpcrouter`.
public struct PluginSearchPath: Sendable, Equatable {
    public static let systemDirectory = "/usr/lib/vpcrouter"

    public var directories: [String]

    public init(directories: [String]) {
        var unique: [String] = []
        for directory in directories where !directory.isEmpty && !unique.contains(directory) {
            unique.append(directory)
        }
        self.directories = unique
    }

    public static func standard(
        pluginDirectories: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executableDirectory: String? = Self.executableDirectory()
    ) -> PluginSearchPath {
        var directories = pluginDirectories
        if let fromEnvironment = environment["VPCROUTER_PLUGIN_PATH"] {
            directories += fromEnvironment.split(separator: ":").map(String.init)
        }
        if let executableDirectory { directories.append(executableDirectory) }
        directories.append(systemDirectory)
        return PluginSearchPath(directories: directories)
    }

    /// The directory of the running executable, found through /proc/self/exe.
    public static func executableDirectory() -> String? {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return URL(fileURLWithPath: path).deletingLastPathComponent().path
    }
}
