import Foundation

/// A vpcrouter (or other long-running program) started by a test, with its output in files so
/// the test can wait for log lines and stop it with a signal.
public final class DaemonProcess: @unchecked Sendable {
    public let process = Process()
    public let outputFile: URL

    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outputFile)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: outputFile)
    }

    /// The running process's memory mappings, one line each of /proc/PID/maps: address range,
    /// permissions, offset, device, inode and, for a file, its path.
    private var mappingLines: [[Substring]] {
        // Read to the end: a /proc file reports size 0, and a read sized by it stops early.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(process.processIdentifier)/maps") else { return [] }
        defer { try? handle.close() }
        guard let bytes = try? handle.readToEnd() else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true)
        }
    }

    /// The file names (without folders) of every file the running process has mapped: its
    /// libraries and the plugins it opened.
    public var mappedFiles: Set<String> {
        Set(mappingLines.compactMap { fields in
            fields.dropFirst(5).first.flatMap { $0.hasPrefix("/") ? String($0.split(separator: "/").last ?? "") : nil }
        })
    }

    /// How many malloc arenas besides glibc's main one the running process has: each is an
    /// anonymous mapping that starts on a 64 MiB boundary, readable and writable, with the rest of
    /// its 64 MiB reserved without access right after it (glibc's `new_heap`).
    public var mallocArenaHeaps: Int {
        let arenaSpan: UInt64 = 64 << 20
        let regions: [(start: UInt64, end: UInt64, permissions: Substring, anonymous: Bool)] = mappingLines.compactMap { fields in
            let bounds = fields.first?.split(separator: "-") ?? []
            guard fields.count >= 5, bounds.count == 2, let start = UInt64(bounds[0], radix: 16),
                  let end = UInt64(bounds[1], radix: 16) else { return nil }
            return (start, end, fields[1], fields.count == 5)
        }
        return zip(regions, regions.dropFirst()).filter { used, reserved in
            used.anonymous && reserved.anonymous && used.start % arenaSpan == 0 && used.permissions.hasPrefix("rw")
                && reserved.permissions.hasPrefix("---") && reserved.start == used.end && reserved.end == used.start + arenaSpan
        }.count
    }

    /// Everything the process wrote to stdout and stderr so far.
    public var output: String {
        (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }

    /// Polls the output until it contains `text`, the process exits, or the timeout passes.
    @discardableResult
    public func waitForOutput(containing text: String, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Like `waitForOutput`, but sleeps between polls instead of blocking a cooperative thread.
    public func outputAppears(_ text: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Sends a signal and waits (bounded) for the exit status; SIGKILL if it does not stop.
    public func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 15) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// `waitForOutput` for async tests: polls with `Task.sleep`, so no shared thread is held.
    public func output(containing text: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// `stop` for async tests, on a thread of its own.
    public func stopped(signal: Int32 = SIGTERM, timeout: TimeInterval = 15) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.stop(signal: signal, timeout: timeout)) }
        }
    }

    /// Waits for the process to exit by itself.
    public func waitForExit(timeout: TimeInterval = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }
}
