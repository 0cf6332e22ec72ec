import FoundationEssentials
import Glibc
import PluginABI

/// Finds, opens and checks plugin files. Every refusal is one line naming the file and the
/// mismatch; a broken file never stops the others from loading. A file that fails the trust check
/// (`PluginFileTrust`) is never opened, unless `allowUntrusted` turns the refusal into a warning.
///
/// Libraries are opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed: unloading
/// a Swift library that has run code leaves dangling runtime metadata behind.
public struct PluginLoader: Sendable {
    /// Core option long names (normalised with `-`) and short letters that plugins may not take.
    public var reservedLongNames: Set<String>
    public var reservedShortNames: Set<Character>
    /// Who may have written a plugin file for it to be opened.
    public var trust: PluginFileTrust
    /// `--allow-untrusted-plugins`: load a file that fails the trust check, with a warning.
    public var allowUntrusted: Bool

    public init(reservedLongNames: Set<String> = [], reservedShortNames: Set<Character> = [],
                trust: PluginFileTrust = PluginFileTrust(), allowUntrusted: Bool = false) {
        self.reservedLongNames = Set(reservedLongNames.map(PluginOptionDeclaration.normalize))
        self.reservedShortNames = reservedShortNames
        self.trust = trust
        self.allowUntrusted = allowUntrusted
    }

    /// Scans the directories in order; the first plugin of a name wins.
    public func scan(_ searchPath: PluginSearchPath) -> PluginCatalog {
        var catalog = PluginCatalog(searchPath: searchPath)
        var seenFiles = Set<String>()
        for directory in searchPath.directories {
            for file in Self.sharedObjects(in: directory) {
                let real = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
                guard seenFiles.insert(real).inserted else { continue }
                catalog.scannedFiles.append(file)
                switch load(file: file, alongside: catalog.plugins) {
                case .success(let plugin): catalog.plugins.append(plugin)
                case .failure(var refusal):
                    if case .shadowed(let winner) = refusal.cause {
                        refusal.reason += ", which was found first: " + searchPath.precedence(of: winner, over: file)
                    }
                    catalog.refusals.append(refusal)
                }
            }
        }
        return catalog
    }

    /// The `*.so` files of a directory, sorted by name; a missing directory has none.
    static func sharedObjects(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasSuffix(".so") }.sorted().map { directory + "/" + $0 }
    }

    /// Opens one file and checks it against this host and the plugins already accepted.
    public func load(file: String, alongside accepted: [LoadedPlugin] = []) -> Result<LoadedPlugin, PluginRefusal> {
        func refuse(_ reason: String) -> Result<LoadedPlugin, PluginRefusal> {
            .failure(PluginRefusal(file: file, reason: reason))
        }
        // A file that is not there is not a trust question.
        if access(file, F_OK) != 0, let problem = ELFHeaderCheck.problem(withFileAt: file) {
            return refuse(problem)
        }
        // The file checked is the file opened: symlinks are resolved once, here.
        let resolvedFile: String
        var trustWarning: String?
        switch trust.check(file) {
        case .success(let resolved):
            resolvedFile = resolved
        case .failure(let problem):
            guard allowUntrusted else {
                return .failure(PluginRefusal(file: file, reason: "untrusted: \(problem.message)", cause: .untrusted))
            }
            trustWarning = problem.message
            resolvedFile = PluginFileTrust.realPath(file) ?? file
        }
        if let problem = ELFHeaderCheck.problem(withFileAt: resolvedFile) {
            return refuse(problem)
        }
        HostServices.installIfNeeded()
        guard let library = dlopen(resolvedFile, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let message = dlerror().map { String(cString: $0) } ?? "unknown error"
            return refuse("cannot be loaded: \(message)")
        }
        guard let magicSymbol = dlsym(library, VPCR_MAGIC_SYMBOL) else {
            return refuse("not a vpcrouter plugin (it exports no \(VPCR_MAGIC_SYMBOL))")
        }
        let magicFunction = unsafeBitCast(magicSymbol, to: vpcr_plugin_magic_fn.self)
        guard let magicPointer = magicFunction() else {
            return refuse("\(VPCR_MAGIC_SYMBOL)() returned NULL")
        }
        // The identification block is frozen: its first four fields can always be read.
        let magicBytes = UnsafeRawPointer(magicPointer)
        let magic = magicBytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        guard magic == VPCR_MAGIC else {
            return refuse("bad magic \(Self.hex(magic)) in its identification block (expected \(Self.hex(VPCR_MAGIC)))")
        }
        let magicSize = magicBytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let abiMajor = magicBytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let abiMinor = magicBytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        if abiMajor != PluginABIVersion.major {
            return refuse("built for plugin ABI \(abiMajor).\(abiMinor); this vpcrouter supports \(PluginABIVersion.text)")
        }
        guard magicSize >= MemoryLayout<vpcr_magic>.size else {
            return refuse("identification block is \(magicSize) bytes; ABI 1 needs \(MemoryLayout<vpcr_magic>.size)")
        }
        let identity = magicPointer.pointee
        guard let namePointer = identity.name, let versionPointer = identity.version else {
            return refuse("identification block has no name or version")
        }
        let name = String(cString: namePointer)
        let version = String(cString: versionPointer)
        guard Self.isValidPluginName(name) else {
            return refuse("plugin name '\(name)' is not valid (1-32 of a-z, 0-9, '_' and '-')")
        }
        guard let entrySymbol = dlsym(library, VPCR_ENTRY_V1_SYMBOL) else {
            return refuse("plugin '\(name)' exports no \(VPCR_ENTRY_V1_SYMBOL) entry point")
        }
        let entry = unsafeBitCast(entrySymbol, to: vpcr_plugin_entry_v1_fn.self)
        guard let descriptorPointer = entry(HostServices.table) else {
            return refuse("plugin '\(name)' declined to load (its entry point returned NULL; see its log lines)")
        }
        let descriptor: vpcr_plugin_v1
        switch Self.copyDescriptor(descriptorPointer) {
        case .success(let copy): descriptor = copy
        case .failure(let problem): return refuse("plugin '\(name)': \(problem.reason)")
        }
        if descriptor.min_host_abi_minor > PluginABIVersion.minor {
            return refuse("plugin '\(name)' \(version) needs plugin ABI 1.\(descriptor.min_host_abi_minor) or newer; this vpcrouter supports \(PluginABIVersion.text)")
        }
        guard let kind = PluginKind(abiValue: descriptor.kind) else {
            return refuse("plugin '\(name)' has an unknown kind \(descriptor.kind.rawValue) (expected mode or health)")
        }
        if let problem = Self.descriptorProblem(descriptor, name: name, version: version, kind: kind) {
            return refuse("plugin '\(name)': \(problem)")
        }
        let options: [PluginOptionDeclaration]
        switch Self.copyOptions(descriptor) {
        case .success(let copied): options = copied
        case .failure(let problem): return refuse("plugin '\(name)': \(problem.reason)")
        }
        if let clash = accepted.first(where: { $0.name == name }) {
            return .failure(PluginRefusal(
                file: file, reason: "plugin name '\(name)' is already provided by \(clash.file)", cause: .shadowed(by: clash.file)))
        }
        if let problem = optionCollision(options, pluginName: name, accepted: accepted) {
            return refuse("plugin '\(name)': \(problem)")
        }
        let summary = descriptor.summary.map { String(cString: $0) } ?? ""
        return .success(LoadedPlugin(
            file: file, resolvedFile: resolvedFile, trustWarning: trustWarning, name: name, version: version, kind: kind, abiMajor: abiMajor, abiMinor: abiMinor,
            summary: summary, options: options, descriptor: descriptor))
    }

    /// `0x0000abcd`: eight lowercase hexadecimal digits.
    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    static func isValidPluginName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count)
            && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 || $0 == 45 }
    }

    /// Copies what the plugin provides into a zeroed host struct, so fields of a newer host
    /// minor that an older plugin lacks read as zero.
    static func copyDescriptor(_ pointer: UnsafePointer<vpcr_plugin_v1>) -> Result<vpcr_plugin_v1, PluginLoadProblem> {
        let raw = UnsafeRawPointer(pointer)
        let size = Int(raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let minimum = ABI10Size.pluginDescriptor
        guard size >= minimum else {
            return .failure(PluginLoadProblem("descriptor is \(size) bytes, smaller than ABI 1.0's \(minimum)"))
        }
        var copy = vpcr_plugin_v1()
        withUnsafeMutableBytes(of: &copy) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(size, target.count)))
        }
        return .success(copy)
    }

    static func descriptorProblem(_ d: vpcr_plugin_v1, name: String, version: String, kind: PluginKind) -> String? {
        if d.flags != 0 { return "reserved field 'flags' is \(d.flags), must be 0" }
        let reserved = [d.reserved.0, d.reserved.1, d.reserved.2, d.reserved.3]
        if reserved.contains(where: { $0 != nil }) { return "reserved pointers must be NULL" }
        guard let descriptorName = d.name.map({ String(cString: $0) }) else {
            return "its descriptor has no name; its identification block (\(VPCR_MAGIC_SYMBOL)) names it '\(name)'"
        }
        guard descriptorName == name else {
            return "its descriptor names it '\(descriptorName)' but its identification block (\(VPCR_MAGIC_SYMBOL)) "
                + "names it '\(name)'; the two names must be the same"
        }
        guard let descriptorVersion = d.version.map({ String(cString: $0) }) else {
            return "its descriptor has no version; its identification block (\(VPCR_MAGIC_SYMBOL)) says '\(version)'"
        }
        guard descriptorVersion == version else {
            return "its descriptor says version '\(descriptorVersion)' but its identification block (\(VPCR_MAGIC_SYMBOL)) "
                + "says '\(version)'; the two versions must be the same"
        }
        var missing: [String] = []
        if d.create == nil { missing.append("create") }
        if d.start == nil { missing.append("start") }
        if d.stop == nil { missing.append("stop") }
        if d.destroy == nil { missing.append("destroy") }
        if kind == .health && d.probe == nil { missing.append("probe") }
        if !missing.isEmpty { return "required callback\(missing.count > 1 ? "s" : "") missing: \(missing.joined(separator: ", "))" }
        if kind == .mode && d.probe != nil { return "a mode plugin must leave probe NULL" }
        return nil
    }

    static func copyOptions(_ d: vpcr_plugin_v1) -> Result<[PluginOptionDeclaration], PluginLoadProblem> {
        guard d.option_count > 0 else { return .success([]) }
        guard let base = d.options else { return .failure(PluginLoadProblem("option_count is \(d.option_count) but options is NULL")) }
        let stride = Int(d.option_stride)
        let known = MemoryLayout<vpcr_option_decl>.size
        guard stride >= ABI10Size.optionDeclaration else {
            return .failure(PluginLoadProblem("option_stride is \(stride), smaller than ABI 1.0's \(ABI10Size.optionDeclaration)"))
        }
        guard d.option_count <= 256 else { return .failure(PluginLoadProblem("declares \(d.option_count) options; at most 256")) }
        var result: [PluginOptionDeclaration] = []
        var seen = Set<String>()
        for index in 0..<Int(d.option_count) {
            let raw = UnsafeRawPointer(base) + index * stride
            var decl = vpcr_option_decl()
            withUnsafeMutableBytes(of: &decl) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(stride, known)))
            }
            switch declaration(decl, index: index) {
            case .success(let option):
                guard seen.insert(option.normalizedName).inserted else {
                    return .failure(PluginLoadProblem("declares option --\(option.longName) twice"))
                }
                result.append(option)
            case .failure(let problem):
                return .failure(problem)
            }
        }
        return .success(result)
    }

    static func declaration(_ decl: vpcr_option_decl, index: Int) -> Result<PluginOptionDeclaration, PluginLoadProblem> {
        guard let namePointer = decl.long_name else {
            return .failure(PluginLoadProblem("option #\(index) has no long_name"))
        }
        let longName = String(cString: namePointer)
        let valid = longName.utf8.count >= 2 && longName.utf8.count <= 48
            && longName.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 || $0 == 45 }
            && longName.first!.isLetter
        guard valid else { return .failure(PluginLoadProblem("option name '\(longName)' is not valid (2-48 of a-z, 0-9, '_' and '-', starting with a letter)")) }
        guard decl.flags & ~ABI10Size.knownOptionFlags == 0 else {
            return .failure(PluginLoadProblem("option --\(longName) has unknown flags 0x\(String(decl.flags, radix: 16))"))
        }
        guard let type = PluginOptionDeclaration.valueType(decl.type) else {
            return .failure(PluginLoadProblem("option --\(longName) has an unknown type \(decl.type.rawValue)"))
        }
        var shortName: Character?
        if decl.short_name != 0 {
            guard let scalar = Unicode.Scalar(UInt32(bitPattern: decl.short_name)), scalar.properties.isAlphabetic, scalar.isASCII else {
                return .failure(PluginLoadProblem("option --\(longName) has a short name that is not an ASCII letter"))
            }
            shortName = Character(scalar)
        }
        let bounds: ClosedRange<Double>? = decl.min <= decl.max ? decl.min...decl.max : nil
        let option = PluginOptionDeclaration(
            longName: longName, shortName: shortName, type: type,
            isRequired: decl.flags & UInt32(VPCR_OPT_F_REQUIRED) != 0,
            isSecret: decl.flags & UInt32(VPCR_OPT_F_SECRET) != 0,
            namesPlugins: decl.flags & UInt32(VPCR_OPT_F_PLUGIN_REFS) != 0,
            valueName: decl.value_name.map { String(cString: $0) },
            defaultValue: decl.default_value.map { String(cString: $0) },
            help: decl.help.map { String(cString: $0) } ?? "",
            bounds: bounds)
        if let defaultValue = option.defaultValue, case .failure(let problem) = PluginOptionParser.check(defaultValue, for: option) {
            return .failure(PluginLoadProblem("the default of option --\(longName) is unusable: \(problem)"))
        }
        return .success(option)
    }

    func optionCollision(_ options: [PluginOptionDeclaration], pluginName: String, accepted: [LoadedPlugin]) -> String? {
        for option in options {
            if reservedLongNames.contains(option.normalizedName) {
                return "option --\(option.longName) collides with a core vpcrouter option"
            }
            if let short = option.shortName, reservedShortNames.contains(short) {
                return "option -\(short) (--\(option.longName)) collides with a core vpcrouter option"
            }
            for other in accepted {
                if other.options.contains(where: { $0.normalizedName == option.normalizedName }) {
                    return "option --\(option.longName) collides with the option of plugin '\(other.name)' (\(other.file))"
                }
                if let short = option.shortName, other.options.contains(where: { $0.shortName == short }) {
                    return "option -\(short) collides with an option of plugin '\(other.name)' (\(other.file))"
                }
            }
        }
        return nil
    }
}

/// A reason inside a refusal, before the file name is attached.
struct PluginLoadProblem: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

