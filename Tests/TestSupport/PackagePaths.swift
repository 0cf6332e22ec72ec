import Foundation

/// Where things are when tests run from the source tree.
public enum PackagePaths {
    /// The package root (the directory with Package.swift).
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The build products directory (where the vpcrouter binary and plugin .so files are).
    public static let products: URL = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }()

    public static let abiHeaderDirectory = root.appendingPathComponent("Sources/PluginABI/include").path

    public static var vpcrouter: String { products.appendingPathComponent("vpcrouter").path }

    /// A fresh temporary directory, removed by the caller.
    public static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// How tests run the vpcrouter binary: with test credentials, a region and VPC, and every AWS
/// endpoint on loopback (a closed port unless a test gives its moto server), so nothing ever
/// leaves the machine.
public enum VPCRouterUnderTest {
    public static func environment(ec2Endpoint: String = "http://127.0.0.1:9") -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "testing"
        environment["AWS_SECRET_ACCESS_KEY"] = "testing"
        environment.removeValue(forKey: "AWS_SESSION_TOKEN")
        environment.removeValue(forKey: "AWS_PROFILE")
        environment["AWS_ENDPOINT_URL"] = ec2Endpoint
        environment["AWS_ENDPOINT_URL_EC2"] = ec2Endpoint
        environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9"
        return environment
    }

    /// `-r` and `-v` for a daemon that talks to a fake or absent EC2.
    public static let location = ["-r", "us-east-1", "-v", "vpc-0000000000000test"]

    /// `changing` sets variables of the test environment, or removes those given as nil.
    public static func launch(_ arguments: [String], ec2Endpoint: String = "http://127.0.0.1:9", location: [String] = location,
                              changing changes: [String: String?] = [:]) throws -> DaemonProcess {
        var variables = environment(ec2Endpoint: ec2Endpoint)
        for (name, value) in changes { variables[name] = value }
        return try DaemonProcess(PackagePaths.vpcrouter, location + arguments, environment: variables)
    }

    public static func run(_ arguments: [String], location: [String] = location, timeout: TimeInterval = 60) throws -> ProcessResult {
        try ProcessRunner.run(PackagePaths.vpcrouter, location + arguments, environment: environment(), timeout: timeout)
    }

    /// `run` for async tests, on a thread of its own.
    public static func runDetached(_ arguments: [String], location: [String] = location, timeout: TimeInterval = 60) async throws -> ProcessResult {
        try await ProcessRunner.runDetached(PackagePaths.vpcrouter, location + arguments, environment: environment(), timeout: timeout)
    }
}
