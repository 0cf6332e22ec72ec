import Foundation
import Synchronization

/// A background helper started through `supervise.py`, so it dies with the test process even if a
/// test crashes before `stop()`. `{PORT}` in the command is replaced by a free loopback port, or by
/// `port` when given (to restart a helper where its clients expect it).
public final class ManagedProcess: Sendable {
    public let port: Int
    public let logPath: String
    /// The helper's own process id (not the supervisor's), for SIGSTOP and SIGCONT.
    public let helperPID: Int32?
    private let process: Mutex<Process?>

    public init(name: String, command: [String], environment: [String: String] = [:], port fixedPort: Int? = nil,
                startTimeout: Duration = .seconds(20)) throws {
        let directory = try ToolPaths.makeTemporaryDirectory(prefix: "vpcrouter-\(name)")
        let portFile = directory.appendingPathComponent("port").path
        let pidFile = directory.appendingPathComponent("pid").path
        logPath = directory.appendingPathComponent("\(name).log").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", ToolPaths.tool("supervise.py"), "--port-file", portFile, "--log", logPath, "--pid-file", pidFile]
            + (fixedPort.map { ["--port", String($0)] } ?? []) + ["--"] + command
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = Mutex(process)
        let deadline = ContinuousClock.now + startTimeout
        var found: Int?
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let value = Int(text) {
                found = value
                break
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let found else {
            process.terminate()
            throw HarnessError("\(name) did not start; log: \(logPath)")
        }
        port = found
        helperPID = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0) }
    }

    /// SIGTERM to the supervisor, which stops the helper's whole process group. Idempotent.
    public func stop() {
        let running = process.withLock { current -> Process? in
            defer { current = nil }
            return current
        }
        guard let running, running.isRunning else { return }
        running.terminate()
        let deadline = Date().addingTimeInterval(5)
        while running.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if running.isRunning { kill(running.processIdentifier, SIGKILL) }
    }

    deinit { stop() }

    /// The helper's output so far, for failure messages.
    public func logTail(_ characters: Int = 2000) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(characters))
    }
}
