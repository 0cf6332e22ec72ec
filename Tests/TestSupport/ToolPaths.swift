import Foundation

/// Where the helper scripts live, found from this file's path so tests work from any directory.
public enum ToolPaths {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func tool(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/Tools").appendingPathComponent(name).path
    }

    /// A fresh private directory under the system temp dir.
    public static func makeTemporaryDirectory(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
