#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Reconciler

/// Keeps the ownership ledger in the state directory, so a restart still knows which routes are
/// vpcrouter's to delete.
///
/// Writes are atomic: the new ledger goes to a temporary file in the same directory, is flushed to
/// disk, renamed over the old one and the directory is flushed too, so a crash leaves either the
/// old or the new ledger, never a torn one.
public struct StateStore: Sendable {
    public static let defaultDirectory = "/var/lib/vpcrouter"
    public static let ledgerFileName = "owned-routes.json"

    public let directory: String

    public init(directory: String = StateStore.defaultDirectory) {
        self.directory = directory
    }

    public var ledgerPath: String { directory + "/" + Self.ledgerFileName }

    /// Creates the state directory (and its parents) if missing and checks that files can be
    /// written in it. Call at start-up so a bad directory stops the daemon before it changes routes.
    public func prepare() throws(StateStoreError) {
        var info = stat()
        if stat(directory, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw StateStoreError(.directoryUnusable, path: directory,
                                      "state directory \(directory) exists but is not a directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            } catch {
                throw StateStoreError(.directoryUnusable, path: directory,
                                      "cannot create state directory \(directory): \(Self.reason(error)); "
                                      + "create it or choose another with the state directory option")
            }
        }
        // Probe with a real file: access(2) says yes to root even on read-only mounts.
        let probe = directory + "/.write-test-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StateStoreError(.directoryUnwritable, path: directory,
                                  "cannot write in state directory \(directory): \(Self.errnoText())")
        }
        close(descriptor)
        unlink(probe)
    }

    /// The persisted ledger, or an empty one when none was ever saved.
    public func loadLedger() throws(StateStoreError) -> OwnershipLedger {
        let path = ledgerPath
        guard FileManager.default.fileExists(atPath: path) else { return OwnershipLedger() }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StateStoreError(.readFailed, path: path, "cannot read ledger \(path): \(Self.reason(error))")
        }
        do {
            return try JSONDecoder().decode(OwnershipLedger.self, from: data)
        } catch {
            throw StateStoreError(.corrupt, path: path,
                                  "ledger \(path) is corrupt (\(Self.decodingReason(error))); "
                                  + "fix or remove it (removing it forgets which routes vpcrouter owns)")
        }
    }

    /// Replaces the persisted ledger atomically.
    public func saveLedger(_ ledger: OwnershipLedger) throws(StateStoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(ledger) + Data("\n".utf8)
        } catch {
            throw StateStoreError(.writeFailed, path: ledgerPath, "cannot encode the ledger: \(error)")
        }
        try writeAtomically(data, to: ledgerPath)
    }

    private func writeAtomically(_ data: Data, to path: String) throws(StateStoreError) {
        let temporary = directory + "/." + Self.ledgerFileName + ".tmp-\(getpid())"
        func failure(_ step: String) -> StateStoreError {
            StateStoreError(.writeFailed, path: path, "cannot save ledger \(path): \(step): \(Self.errnoText())")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("open \(temporary)") }
        var written = 0
        let ok = data.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += result
            }
            return true
        }
        guard ok else { let error = failure("write"); close(descriptor); unlink(temporary); throw error }
        guard fsync(descriptor) == 0 else { let error = failure("fsync"); close(descriptor); unlink(temporary); throw error }
        close(descriptor)
        guard rename(temporary, path) == 0 else { let error = failure("rename"); unlink(temporary); throw error }
        // The rename is durable only once the directory entry is on disk.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure("open directory") }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure("fsync directory") }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func reason(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return "\(error)"
    }

    private static func decodingReason(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?, .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return context.debugDescription
        case .keyNotFound(let key, _)?:
            return "the key '\(key.stringValue)' is missing"
        default:
            return "\(error)"
        }
    }
}
