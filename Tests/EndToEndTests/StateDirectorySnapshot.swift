import Foundation

/// Every file under a state directory, with its bytes and permission bits: two snapshots are equal
/// only if the directory was left byte for byte as it was (nil: the directory does not exist).
struct StateDirectorySnapshot: Equatable, CustomStringConvertible {
    let files: [String: Data]
    let permissions: [String: Int]

    static func take(_ directory: URL) throws -> StateDirectorySnapshot? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        var files: [String: Data] = [:]
        var permissions: [String: Int] = [:]
        for name in try manager.subpathsOfDirectory(atPath: directory.path) {
            let path = directory.appendingPathComponent(name).path
            let attributes = try manager.attributesOfItem(atPath: path)
            permissions[name] = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
            if attributes[.type] as? FileAttributeType == .typeRegular {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return StateDirectorySnapshot(files: files, permissions: permissions)
    }

    var description: String {
        files.keys.sorted().map { "\($0) (\(permissions[$0] ?? -1)): \(String(decoding: files[$0]!, as: UTF8.self))" }
            .joined(separator: "\n")
    }
}
