import Foundation

/// Runs a program to completion and captures its output; for tests that drive real processes.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

public enum ProcessRunner {
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           directory: URL? = nil, timeout: TimeInterval = 120) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes while waiting so a chatty child never blocks on a full pipe.
        let outData = CapturedOutput()
        let errData = CapturedOutput()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        group.wait()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
                             stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// `run` on a thread of its own, for async tests: a long wait for a child (a whole
    /// schemathesis run) must not hold one of the few threads every concurrent test shares.
    public static func runDetached(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                                   directory: URL? = nil, timeout: TimeInterval = 120) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    try run(executable, arguments, environment: environment, directory: directory, timeout: timeout)
                })
            }
        }
    }

    /// Runs a shell command line (for `cc` and `ip` invocations in tests).
    @discardableResult
    public static func shell(_ command: String, timeout: TimeInterval = 300) throws -> ProcessResult {
        try run("/bin/sh", ["-c", command], timeout: timeout)
    }

    /// `shell` on a thread of its own, for long commands (a `swift build`) in async tests: waiting
    /// on one of the few cooperative threads would stall every other test running meanwhile.
    public static func shellOffPool(_ command: String, timeout: TimeInterval = 300) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try shell(command, timeout: timeout) })
            }
        }
    }
}

final class CapturedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
