import Foundation
import PluginHost
import Testing
import TestSupport

/// Who could have written a plugin file decides whether it is opened. The tests run as root, in
/// directories under /tmp (root-owned, mode 1777: a sticky directory above the plugin's own).
@Suite struct PluginFileTrustTests {
    let base: URL
    let trust = PluginFileTrust()
    static let nobody: uid_t = 65534

    init() throws {
        base = try PackagePaths.temporaryDirectory("vpcr-trust")
        try Self.chmod(base.path, 0o755)
    }

    /// `base/<relative>` as a directory of the given mode.
    func directory(_ relative: String, mode: mode_t = 0o755) throws -> String {
        let path = base.appendingPathComponent(relative).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.chmod(path, mode)
        return path
    }

    /// A file standing in for a plugin (the trust check never reads it).
    func file(_ path: String, mode: mode_t = 0o755) throws -> String {
        try Data("plugin".utf8).write(to: URL(fileURLWithPath: path))
        try Self.chmod(path, mode)
        return path
    }

    static func chmod(_ path: String, _ mode: mode_t) throws {
        guard Glibc.chmod(path, mode) == 0 else { throw TrustTestError("chmod \(path): \(errno)") }
    }

    static func chown(_ path: String, _ uid: uid_t) throws {
        guard Glibc.chown(path, uid, gid_t(uid)) == 0 else { throw TrustTestError("chown \(path): \(errno)") }
    }

    func problem(_ path: String, trust: PluginFileTrust? = nil) -> String? {
        switch (trust ?? self.trust).check(path) {
        case .success: return nil
        case .failure(let problem): return problem.message
        }
    }

    @Test func aRootOwnedFileInRootOwnedDirectoriesIsTrustedUnderTmp() throws {
        let plugins = try directory("plugins")
        let plugin = try file(plugins + "/libgood.so")
        #expect(problem(plugin) == nil)
        #expect(try trust.check(plugin).get() == plugin)
    }

    @Test func theBuiltInPluginsDirectoryIsTrusted() throws {
        let fixedconf = PackagePaths.products.appendingPathComponent("libFixedConfMode.so").path
        #expect(problem(fixedconf) == nil, "the build products must load as they are")
    }

    @Test func aWorldWritableFileIsRefused() throws {
        let plugin = try file(try directory("ww-file") + "/libtcp.so", mode: 0o666)
        #expect(problem(plugin) == "\(plugin) has mode 0666 (owner root); a plugin file must not be writable by group or others")
    }

    @Test func aGroupWritableFileIsRefused() throws {
        let plugin = try file(try directory("gw-file") + "/libtcp.so", mode: 0o775)
        #expect(problem(plugin) == "\(plugin) has mode 0775 (owner root); a plugin file must not be writable by group or others")
    }

    @Test func aGroupWritableDirectoryIsRefused() throws {
        let plugins = try directory("gw-dir", mode: 0o775)
        let plugin = try file(plugins + "/libtcp.so")
        #expect(problem(plugin) == "directory \(plugins) has mode 0775 (owner root); a plugin's directory must not be writable by group or others")
    }

    @Test func aWritableDirectoryAboveIsRefused() throws {
        let above = try directory("above", mode: 0o777)
        let plugins = try directory("above/plugins")
        let plugin = try file(plugins + "/libtcp.so")
        #expect(problem(plugin) == "directory \(above) has mode 0777 (owner root); a directory above a plugin must not be writable by group or others")
    }

    @Test func aSymlinkToAWritableTargetIsRefusedNamingTheTarget() throws {
        let elsewhere = try directory("elsewhere")
        let target = try file(elsewhere + "/libreal.so", mode: 0o646)
        let plugins = try directory("links")
        let link = plugins + "/libtcp.so"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(problem(link) == "\(target) (the target of \(link)) has mode 0646 (owner root); a plugin file must not be writable by group or others")
    }

    @Test func aSymlinkInAWritableDirectoryIsRefusedEvenToATrustedTarget() throws {
        let target = try file(try directory("trusted") + "/libreal.so")
        let drop = try directory("drop", mode: 0o777)
        let link = drop + "/libtcp.so"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(problem(target) == nil)
        #expect(problem(link) == "directory \(drop) has mode 0777 (owner root); a plugin's directory must not be writable by group or others")
    }

    @Test func aSymlinkToATrustedFileIsTrustedAndResolved() throws {
        let target = try file(try directory("real") + "/libreal.so")
        let link = try directory("link") + "/libtcp.so"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(try trust.check(link).get() == target)
    }

    @Test func aFileOwnedByAnotherUserIsRefused() throws {
        let plugin = try file(try directory("other-owner") + "/libtcp.so")
        try Self.chown(plugin, Self.nobody)
        #expect(problem(plugin) == "\(plugin) is owned by uid 65534 (nobody); a plugin file must be owned by root")
    }

    @Test func aDirectoryOwnedByAnotherUserIsRefused() throws {
        let plugins = try directory("other-dir")
        let plugin = try file(plugins + "/libtcp.so")
        try Self.chown(plugins, Self.nobody)
        #expect(problem(plugin) == "directory \(plugins) is owned by uid 65534 (nobody); a plugin's directory must be owned by root")
    }

    @Test func theDaemonsOwnUserMayOwnTheFileAndItsDirectory() throws {
        let plugins = try directory("own-user")
        let plugin = try file(plugins + "/libtcp.so")
        try Self.chown(plugins, Self.nobody)
        try Self.chown(plugin, Self.nobody)
        #expect(problem(plugin, trust: PluginFileTrust(effectiveUser: Self.nobody)) == nil)
        let stranger = PluginFileTrust(effectiveUser: 4242)
        #expect(problem(plugin, trust: stranger)
            == "\(plugin) is owned by uid 65534 (nobody); a plugin file must be owned by root or by the daemon's user (uid 4242)")
        try Self.chown(plugin, 4242)
        #expect(problem(plugin, trust: stranger)
            == "directory \(plugins) is owned by uid 65534 (nobody); a plugin's directory must be owned by root or by the daemon's user (uid 4242)")
    }

    @Test func aStickyRootDirectoryIsEnoughAboveButNotAsThePluginsOwnDirectory() throws {
        let sticky = try directory("sticky", mode: 0o1777)
        let direct = try file(sticky + "/libtcp.so")
        #expect(problem(direct) == "directory \(sticky) has mode 1777 (owner root); a plugin's own directory must not be writable "
            + "by group or others, even with the sticky bit")
        let below = try directory("sticky/plugins")
        let nested = try file(below + "/libtcp.so")
        #expect(problem(nested) == nil, "a root-owned sticky directory above the plugin's own directory is accepted, like /tmp")
        try Self.chown(sticky, Self.nobody)
        #expect(problem(nested) == "directory \(sticky) is owned by uid 65534 (nobody); a directory above a plugin must be owned by root")
    }

    @Test func somethingThatIsNotARegularFileIsRefused() throws {
        let plugins = try directory("not-regular")
        let fake = try directory("not-regular/libdir.so")
        #expect(problem(fake) == "\(fake) is not a regular file; a plugin must be a regular file")
        #expect(problem(plugins + "/libmissing.so") == "\(plugins)/libmissing.so cannot be resolved: No such file or directory")
    }
}

/// The loader never opens an untrusted file, unless told to with a warning.
@Suite struct UntrustedPluginLoadingTests {
    let directory: URL

    init() throws {
        directory = try PackagePaths.temporaryDirectory("vpcr-untrusted")
        try PluginFileTrustTests.chmod(directory.path, 0o755)
    }

    /// Whether the process has `path` loaded. RTLD_NOLOAD asks the dynamic loader without
    /// loading anything; reading /proc/self/maps instead came back cut short in a process that had
    /// loaded many plugins, and missed the file.
    static func isMapped(_ path: String) -> Bool {
        dlopen(path, RTLD_NOW | RTLD_NOLOAD) != nil
    }

    @Test func anUntrustedFileIsRefusedWithoutBeingOpened() throws {
        let plugin = try FixtureBuilder.build(name: "fx-untrusted", in: directory)
        try PluginFileTrustTests.chmod(plugin, 0o666)
        let result = PluginLoader().load(file: plugin)
        #expect(result.refusalText == "libfx-untrusted.so: untrusted: \(plugin) has mode 0666 (owner root); "
            + "a plugin file must not be writable by group or others")
        guard case .failure(let refusal) = result else { return }
        #expect(refusal.cause == .untrusted)
        #expect(!Self.isMapped(plugin), "a refused file is never opened")
    }

    @Test func theOverrideLoadsItWithAWarning() throws {
        let plugin = try FixtureBuilder.build(name: "fx-allowed", in: directory)
        try PluginFileTrustTests.chmod(directory.path, 0o777)
        let loaded = try PluginLoader(allowUntrusted: true).load(file: plugin).get()
        #expect(loaded.name == "fx-allowed")
        #expect(loaded.trustWarning == "directory \(directory.path) has mode 0777 (owner root); "
            + "a plugin's directory must not be writable by group or others")
        #expect(Self.isMapped(plugin))
    }

    @Test func aScanRefusesTheUntrustedCopyAndSaysItMayBeTheSelectedPlugin() throws {
        let trusted = try PackagePaths.temporaryDirectory("vpcr-trusted")
        defer { try? FileManager.default.removeItem(at: trusted) }
        try PluginFileTrustTests.chmod(trusted.path, 0o755)
        let good = try FixtureBuilder.build(name: "fx-shadow", in: trusted)
        let copy = try FixtureBuilder.build(name: "fx-shadow", in: directory)
        try PluginFileTrustTests.chmod(directory.path, 0o777)
        let catalog = PluginLoader().scan(PluginSearchPath(directories: [directory.path, trusted.path]))
        #expect(catalog.plugin(named: "fx-shadow")?.file == good)
        #expect(catalog.refusals.map(\.file) == [copy])
        #expect(catalog.untrustedRefusal(mayProvide: "fx-shadow")?.file == copy)
        #expect(catalog.untrustedRefusal(mayProvide: "other") == nil)
        let later = PluginLoader().scan(PluginSearchPath(directories: [trusted.path, directory.path]))
        #expect(later.untrustedRefusal(mayProvide: "fx-shadow") == nil, "a file searched after the plugin found could not have won")
    }
}

struct TrustTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
