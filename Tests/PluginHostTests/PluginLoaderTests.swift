import Foundation
import Logging
import PluginHost
import RouteModel
import Testing
import TestSupport

/// Each ABI rule has a fixture that honours or breaks it, and each load outcome is asserted with
/// its exact message.
@Suite struct PluginLoaderTests {
    let directory: URL
    let loader = PluginLoader(reservedLongNames: ["port", "mode"], reservedShortNames: ["m"])

    init() throws {
        directory = try PackagePaths.temporaryDirectory("vpcr-fixtures")
    }

    func refusal(_ name: String, _ defines: [String]) throws -> String {
        let file = try FixtureBuilder.build(name: name, defines: defines, in: directory)
        switch loader.load(file: file) {
        case .success(let plugin): return "accepted \(plugin.name)"
        case .failure(let refusal): return refusal.description
        }
    }

    @Test func currentPluginLoadsWithItsIdentityAndOptions() throws {
        let file = try FixtureBuilder.build(name: "fx-current", in: directory)
        let plugin = try loader.load(file: file).get()
        #expect(plugin.name == "fx-current")
        #expect(plugin.kind == .mode)
        #expect(plugin.version == "1.0.0")
        #expect(plugin.abiText == "1.1")
        #expect(plugin.summary == "an ABI test fixture")
        #expect(plugin.options.map(\.longName) == ["fx-current_level", "fx-current_cidr"])
        #expect(plugin.options[0].bounds == 1...10)
        #expect(plugin.options[0].defaultValue == "5")
        #expect(plugin.options[1].type == .cidr)
    }

    @Test func olderMinorPrefixLoadsAndLacksNewerCallbacks() throws {
        let file = try FixtureBuilder.build(name: "fx-older", defines: ["FIXTURE_OLDER_MINOR"], in: directory)
        let plugin = try loader.load(file: file).get()
        let instance = try PluginInstance.create(plugin, options: [], services: PluginServices(logger: Logger(label: "test")))
        #expect(instance.info().params.isEmpty, "report_info lies past the 1.0 prefix, so the host must not call it")
        instance.shutdown()
    }

    @Test func newerMinorThatNeedsNothingNewLoads() throws {
        let file = try FixtureBuilder.build(name: "fx-newer", defines: ["FIXTURE_NEWER_MINOR"], in: directory)
        let plugin = try loader.load(file: file).get()
        #expect(plugin.abiText == "1.3")
        #expect(plugin.version == "1.3.0")
    }

    @Test(arguments: [
        ("fx-needs", ["FIXTURE_NEWER_MINOR_NEEDS_HOST"],
         "libfx-needs.so: plugin 'fx-needs' 1.2.0 needs plugin ABI 1.2 or newer; this vpcrouter supports 1.1"),
        ("fx-major", ["FIXTURE_WRONG_MAJOR"], "libfx-major.so: built for plugin ABI 2.0; this vpcrouter supports 1.1"),
        ("fx-magic", ["FIXTURE_BAD_MAGIC"],
         "libfx-magic.so: bad magic 0xdeadbeef in its identification block (expected 0x52435056)"),
        ("fx-noentry", ["FIXTURE_NO_ENTRY"],
         "libfx-noentry.so: plugin 'fx-noentry' exports no vpcr_plugin_entry_v1 entry point"),
        ("fx-small", ["FIXTURE_TOO_SMALL"],
         "libfx-small.so: plugin 'fx-small': descriptor is 40 bytes, smaller than ABI 1.0's 96"),
        ("fx-nocreate", ["FIXTURE_NO_CREATE"],
         "libfx-nocreate.so: plugin 'fx-nocreate': required callback missing: create"),
        ("fx-reserved", ["FIXTURE_RESERVED_SET"],
         "libfx-reserved.so: plugin 'fx-reserved': reserved field 'flags' is 4, must be 0"),
        ("fx-kind", ["FIXTURE_BAD_KIND"],
         "libfx-kind.so: plugin 'fx-kind' has an unknown kind 7 (expected mode or health)"),
        ("fx-decline", ["FIXTURE_DECLINE"],
         "libfx-decline.so: plugin 'fx-decline' declined to load (its entry point returned NULL; see its log lines)"),
        ("fx-coreopt", ["FIXTURE_OPTION_NAME=\\\"port\\\""],
         "libfx-coreopt.so: plugin 'fx-coreopt': option --port collides with a core vpcrouter option"),
        ("Fx-Upper", [], "libFx-Upper.so: plugin name 'Fx-Upper' is not valid (1-32 of a-z, 0-9, '_' and '-')"),
        ("fx-names", ["FIXTURE_DESCRIPTOR_NAME=\\\"fx-other\\\""],
         "libfx-names.so: plugin 'fx-names': its descriptor names it 'fx-other' but its identification block "
            + "(vpcr_plugin_magic) names it 'fx-names'; the two names must be the same"),
    ])
    func refusesWithOnePreciseLine(name: String, defines: [String], expected: String) throws {
        #expect(try refusal(name, defines) == expected)
    }

    @Test func aDuplicateNameIsRefusedAndTheFirstKept() throws {
        let first = try FixtureBuilder.build(name: "fx-dup", defines: ["FIXTURE_OPTION_NAME=\\\"dup_a\\\""], in: directory)
        let other = try PackagePaths.temporaryDirectory("vpcr-dup")
        defer { try? FileManager.default.removeItem(at: other) }
        let second = try FixtureBuilder.build(name: "fx-dup", defines: ["FIXTURE_OPTION_NAME=\\\"dup_b\\\""], in: other)
        let catalog = loader.scan(PluginSearchPath(directories: [directory.path, other.path]))
        #expect(catalog.plugins.map(\.file) == [first])
        #expect(catalog.refusals.map(\.description) == [
            "libfx-dup.so: plugin name 'fx-dup' is already provided by \(first), which was found first: "
                + "\(directory.path) is searched before \(other.path)",
        ])
        #expect(catalog.refusals.first?.file == second)
        #expect(catalog.collisions.map { "\($0.name) \($0.winner.file) \($0.loser.file)" } == ["fx-dup \(first) \(second)"])
    }

    @Test func aCollisionSaysWhereEachDirectoryCameFrom() throws {
        let first = try PackagePaths.temporaryDirectory("vpcr-dup-cli")
        let second = try PackagePaths.temporaryDirectory("vpcr-dup-env")
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        let winner = try FixtureBuilder.build(name: "fx-dup2", defines: ["FIXTURE_OPTION_NAME=\\\"dup2_a\\\""], in: first)
        _ = try FixtureBuilder.build(name: "fx-dup2", defines: ["FIXTURE_OPTION_NAME=\\\"dup2_b\\\""], in: second)
        let searchPath = PluginSearchPath.standard(
            pluginDirectories: [first.path], environment: ["VPCROUTER_PLUGIN_PATH": second.path], executableDirectory: nil)
        let catalog = loader.scan(searchPath)
        #expect(catalog.plugin(named: "fx-dup2")?.file == winner)
        #expect(catalog.refusals.map(\.reason) == [
            "plugin name 'fx-dup2' is already provided by \(winner), which was found first: \(first.path) (--plugin-dir) "
                + "is searched before \(second.path) (VPCROUTER_PLUGIN_PATH)",
        ])
    }

    @Test func twoFilesOfOneDirectoryAreLoadedInNameOrder() throws {
        let scanDirectory = try PackagePaths.temporaryDirectory("vpcr-dup-same")
        defer { try? FileManager.default.removeItem(at: scanDirectory) }
        let a = try FixtureBuilder.build(name: "fx-dup3", defines: ["FIXTURE_OPTION_NAME=\\\"dup3_a\\\""], in: scanDirectory)
        let renamed = scanDirectory.appendingPathComponent("liba-first.so").path
        try FileManager.default.moveItem(atPath: a, toPath: renamed)
        _ = try FixtureBuilder.build(name: "fx-dup3", defines: ["FIXTURE_OPTION_NAME=\\\"dup3_b\\\""], in: scanDirectory)
        let catalog = loader.scan(PluginSearchPath(directories: [scanDirectory.path]))
        #expect(catalog.plugin(named: "fx-dup3")?.file == renamed)
        #expect(catalog.refusals.map(\.reason) == [
            "plugin name 'fx-dup3' is already provided by \(renamed), which was found first: files of one directory are loaded in name order",
        ])
    }

    @Test func anOptionTakenByAnotherPluginIsRefused() throws {
        let scanDirectory = try PackagePaths.temporaryDirectory("vpcr-clash")
        defer { try? FileManager.default.removeItem(at: scanDirectory) }
        _ = try FixtureBuilder.build(name: "fx-a", defines: ["FIXTURE_OPTION_NAME=\\\"shared_level\\\""], in: scanDirectory)
        _ = try FixtureBuilder.build(name: "fx-b", defines: ["FIXTURE_OPTION_NAME=\\\"shared-level\\\""], in: scanDirectory)
        let catalog = loader.scan(PluginSearchPath(directories: [scanDirectory.path]))
        #expect(catalog.plugins.map(\.name) == ["fx-a"])
        #expect(catalog.refusals.map(\.description) == [
            "libfx-b.so: plugin 'fx-b': option --shared-level collides with the option of plugin 'fx-a' (\(scanDirectory.path)/libfx-a.so)",
        ])
    }

    @Test func filesThatAreNotPluginsAreRefusedWithoutCrashing() throws {
        let text = directory.appendingPathComponent("libtext.so")
        try Data("just text".utf8).write(to: text)
        let real = try FixtureBuilder.build(name: "fx-real", in: directory)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: real))
        let truncated = directory.appendingPathComponent("libtruncated.so")
        try bytes.prefix(12).write(to: truncated)
        var foreign = bytes
        foreign[18] = 183  // e_machine: aarch64
        foreign[19] = 0
        let arm = directory.appendingPathComponent("libarm.so")
        try foreign.write(to: arm)
        let cut = directory.appendingPathComponent("libcut.so")
        try bytes.prefix(bytes.count / 3).write(to: cut)
        #expect(loader.load(file: text.path).refusalText == "libtext.so: not an ELF shared object")
        #expect(loader.load(file: truncated.path).refusalText == "libtruncated.so: truncated ELF header (12 bytes)")
        #expect(loader.load(file: arm.path).refusalText == "libarm.so: built for aarch64; this vpcrouter runs on x86_64")
        #expect(loader.load(file: cut.path).refusalText?.hasPrefix("libcut.so: truncated ELF file: a segment ends at byte ") == true)
        // Header fields a hostile file sets to overflow the arithmetic: refused, never a trap.
        func withField(_ offset: Int, _ value: UInt64, in data: Data) -> Data {
            var data = data
            for byte in 0..<8 { data[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
            return data
        }
        let hugeTable = directory.appendingPathComponent("libhugetable.so")
        try withField(32, 0xFFFF_FFFF_FFFF_FFF0, in: bytes).write(to: hugeTable)  // e_phoff
        #expect(loader.load(file: hugeTable.path).refusalText?.hasPrefix("libhugetable.so: truncated ELF file: its program headers end at byte ") == true)
        let programHeaders = Int(bytes[32]) | Int(bytes[33]) << 8 | Int(bytes[34]) << 16
        let hugeSegment = directory.appendingPathComponent("libhugesegment.so")
        // The first program header's p_offset and p_filesz (x86_64 shared objects begin with a PT_LOAD or PT_PHDR).
        var segment = withField(programHeaders + 8, 0x8000_0000_0000_0000, in: bytes)
        segment = withField(programHeaders + 32, 0x8000_0000_0000_0000, in: segment)
        segment[programHeaders] = 1  // PT_LOAD
        try segment.write(to: hugeSegment)
        #expect(loader.load(file: hugeSegment.path).refusalText?.hasPrefix("libhugesegment.so: truncated ELF file: a segment ends at byte ") == true)
        #expect(loader.load(file: directory.appendingPathComponent("libmissing.so").path).refusalText?
            .hasPrefix("libmissing.so: cannot be read") == true)
        let libc = "/lib/x86_64-linux-gnu/libm.so.6"
        if FileManager.default.fileExists(atPath: libc) {
            #expect(loader.load(file: libc).refusalText == "libm.so.6: not a vpcrouter plugin (it exports no vpcr_plugin_magic)")
        }
    }

    @Test func aBrokenFileDoesNotStopTheOthers() throws {
        let scanDirectory = try PackagePaths.temporaryDirectory("vpcr-mixed")
        defer { try? FileManager.default.removeItem(at: scanDirectory) }
        try Data("garbage".utf8).write(to: scanDirectory.appendingPathComponent("liba-garbage.so"))
        _ = try FixtureBuilder.build(name: "fx-major2", defines: ["FIXTURE_WRONG_MAJOR"], in: scanDirectory)
        _ = try FixtureBuilder.build(name: "fx-good", in: scanDirectory)
        let catalog = loader.scan(PluginSearchPath(directories: ["/nonexistent", scanDirectory.path]))
        #expect(catalog.plugins.map(\.name) == ["fx-good"])
        #expect(catalog.refusals.count == 2)
        #expect(catalog.select("fx-good", as: .mode).isSuccess)
        let missing = catalog.select("nosuch", as: .mode)
        #expect(missing.failureMessage == "-m nosuch: no mode plugin named 'nosuch' in /nonexistent, \(scanDirectory.path); mode plugins found: fx-good")
        #expect(catalog.select("fx-good", as: .health).failureMessage?.contains("is a mode plugin") == true)
    }
}

extension Result where Success == LoadedPlugin, Failure == PluginRefusal {
    var refusalText: String? {
        if case .failure(let refusal) = self { return refusal.description }
        return nil
    }
}

extension Result where Success == LoadedPlugin, Failure == PluginSelectionError {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    var failureMessage: String? {
        if case .failure(let error) = self { return error.message }
        return nil
    }
}
