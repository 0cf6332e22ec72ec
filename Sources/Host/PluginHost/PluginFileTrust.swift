import FoundationEssentials
import Glibc

/// Decides whether a plugin file may be run inside the daemon: loading a plugin runs its code with
/// the daemon's capabilities and AWS credentials, so nobody but root and the daemon's own user may
/// have been able to write the file or replace it.
///
/// After resolving symlinks, the file must be a regular file owned by root or by the daemon's user
/// and not writable by group or others; every directory from the file's own up to `/` must be owned
/// by root or by the daemon's user and not writable by group or others. A root-owned directory with
/// the sticky bit (like `/tmp`) is accepted above the file's own directory, where nobody else can
/// rename what root put in it, but not as the file's own directory, where anyone could add a file.
/// The directory a symlink was found in is held to the same rules as the one its target is in.
public struct PluginFileTrust: Sendable {
    /// The daemon's user: besides root, the one owner whose files and directories are trusted.
    public let effectiveUser: uid_t

    public init(effectiveUser: uid_t = geteuid()) {
        self.effectiveUser = effectiveUser
    }

    /// The file to open (symlinks resolved) when `path` may be trusted, or why it may not.
    public func check(_ path: String) -> Result<String, PluginTrustProblem> {
        guard let resolved = Self.realPath(path) else {
            return .failure(PluginTrustProblem("\(path) cannot be resolved: \(String(cString: strerror(errno)))"))
        }
        let isLink = resolved != Self.absolute(path)
        let fileLabel = isLink ? "\(resolved) (the target of \(path))" : resolved
        var info = stat()
        guard stat(resolved, &info) == 0 else {
            return .failure(PluginTrustProblem("\(fileLabel) cannot be examined: \(String(cString: strerror(errno)))"))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .failure(PluginTrustProblem("\(fileLabel) is not a regular file; a plugin must be a regular file"))
        }
        if let problem = ownerProblem(info, label: fileLabel, what: "a plugin file") { return .failure(problem) }
        if info.st_mode & 0o022 != 0 {
            return .failure(PluginTrustProblem(
                "\(fileLabel) has mode \(Self.modeText(info)) (owner \(Self.ownerText(info.st_uid))); "
                    + "a plugin file must not be writable by group or others"))
        }
        var ownDirectories = [Self.parent(of: resolved)]
        if isLink, let foundIn = Self.realPath(Self.parent(of: Self.absolute(path))), foundIn != ownDirectories[0] {
            ownDirectories.append(foundIn)
        }
        for directory in ownDirectories {
            if let problem = directoryChainProblem(from: directory) { return .failure(problem) }
        }
        return .success(resolved)
    }

    /// Checks `directory` (a plugin's own directory) and every directory above it.
    func directoryChainProblem(from directory: String) -> PluginTrustProblem? {
        var current = directory
        var isOwnDirectory = true
        while true {
            var info = stat()
            guard stat(current, &info) == 0 else {
                return PluginTrustProblem("directory \(current) cannot be examined: \(String(cString: strerror(errno)))")
            }
            let what = isOwnDirectory ? "a plugin's directory" : "a directory above a plugin"
            if let problem = ownerProblem(info, label: "directory \(current)", what: what) { return problem }
            if info.st_mode & 0o022 != 0 {
                let stickyRootAbove = !isOwnDirectory && info.st_mode & S_ISVTX != 0 && info.st_uid == 0
                if !stickyRootAbove {
                    let found = "directory \(current) has mode \(Self.modeText(info)) (owner \(Self.ownerText(info.st_uid)))"
                    if isOwnDirectory && info.st_mode & S_ISVTX != 0 {
                        return PluginTrustProblem(found + "; a plugin's own directory must not be writable by group or others, "
                            + "even with the sticky bit")
                    }
                    return PluginTrustProblem(found + "; \(what) must not be writable by group or others")
                }
            }
            if current == "/" { return nil }
            current = Self.parent(of: current)
            isOwnDirectory = false
        }
    }

    func ownerProblem(_ info: stat, label: String, what: String) -> PluginTrustProblem? {
        guard info.st_uid != 0 && info.st_uid != effectiveUser else { return nil }
        return PluginTrustProblem("\(label) is owned by \(Self.ownerText(info.st_uid)); \(what) must be owned by \(trustedOwnersText)")
    }

    var trustedOwnersText: String {
        effectiveUser == 0 ? "root" : "root or by the daemon's user (\(Self.ownerText(effectiveUser)))"
    }

    static func modeText(_ info: stat) -> String {
        let octal = String(UInt32(info.st_mode) & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - octal.count)) + octal
    }

    /// `root`, or `uid 65534 (nobody)`.
    static func ownerText(_ uid: uid_t) -> String {
        if uid == 0 { return "root" }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, let result, let name = result.pointee.pw_name {
            return "uid \(uid) (\(String(cString: name)))"
        }
        return "uid \(uid)"
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}

/// Why a plugin file may not be trusted: one line naming the path, the owner or mode found and the rule.
public struct PluginTrustProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
