import Foundation
import Logging
import PluginABI
import PluginHost
import RouteModel

/// The built health plugins, loaded from the build directory through the daemon's own loader
/// (`PluginLoader`, `PluginInstance`), for the health tests and HealthBench.
///
/// Options are given as the command line would give them, shared by every plugin; values go to
/// the plugin as given (declared defaults fill the rest), without the host's type and bound
/// checks, so a test sees the plugin's own refusals.
public final class HealthPlugins: Sendable {
    public let plugins: [String: LoadedPlugin]
    public let options: [String: String]

    public init(options: [String: String] = [:], libraries: [String] = ["ICMPHealth", "TCPHealth", "MultiHealth"]) throws {
        self.options = options
        let directory = Self.executableDirectory()
        // The build directory is the tests' own, not an installed one: trust is not the point here.
        let loader = PluginLoader(allowUntrusted: true)
        var plugins: [String: LoadedPlugin] = [:]
        for library in libraries {
            let plugin = try loader.load(file: "\(directory)/lib\(library).so").get()
            plugins[plugin.name] = plugin
        }
        self.plugins = plugins
    }

    /// create() then start(); the caller stops the run.
    public func start(_ name: String, options extra: [String: String] = [:]) throws(PluginError) -> HealthPluginRun {
        let instance = try create(name, extraOptions: extra)
        do {
            try instance.start()
        } catch {
            instance.shutdown()
            throw error
        }
        return HealthPluginRun(instance)
    }

    private func create(_ name: String, extraOptions: [String: String] = [:]) throws(PluginError) -> PluginInstance {
        guard let plugin = plugins[name] else {
            throw PluginError(plugin: name, operation: "open", code: vpcr_status(VPCR_E_NOT_FOUND), message: "no loaded health plugin named '\(name)'")
        }
        let given = options.merging(extraOptions) { _, new in new }
        var pairs: [(String, String)] = []
        for option in plugin.options {
            if let value = given[option.longName] ?? option.defaultValue {
                pairs.append((option.longName, value))
            } else if option.isRequired {
                throw PluginError(plugin: name, operation: "create", code: vpcr_status(VPCR_E_CONFIG),
                                  message: "--\(option.longName) is required by \(name)")
            }
        }
        let services = PluginServices(
            logger: Self.logger,
            openChildHealth: { [self] child throws(PluginError) in
                let instance = try create(child)
                try instance.start()
                return instance
            })
        return try PluginInstance.create(plugin, options: pairs, services: services)
    }

    /// Plugin log lines go to standard error when VPCR_HARNESS_VERBOSE is set, nowhere otherwise.
    private static let logger: Logger = {
        let verbose = ProcessInfo.processInfo.environment["VPCR_HARNESS_VERBOSE"] != nil
        return Logger(label: "health-plugins") { label -> any LogHandler in
            verbose ? StreamLogHandler.standardError(label: label) : SwiftLogNoOpLogHandler()
        }
    }()

    /// The directory of the running executable: where SwiftPM put the plugins it built with it.
    public static func executableDirectory() -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }

    /// The host's monotonic clock in nanoseconds.
    public static func now() -> UInt64 {
        MonotonicClock.nowNanoseconds()
    }
}

/// One started plugin instance.
public final class HealthPluginRun: Sendable {
    public let instance: PluginInstance

    init(_ instance: PluginInstance) {
        self.instance = instance
    }

    /// The schedule in seconds (the plugin's own, or the host's rule for multi and the default).
    public var schedule: (interval: Double, timeout: Double) {
        let schedule = instance.schedule
        return (Self.seconds(schedule.interval), Self.seconds(schedule.timeout))
    }

    /// One probe round with a deadline `timeout` seconds from now (the schedule's by default).
    public func probe(_ ips: [String], timeout: Double? = nil) throws -> [vpcr_verdict] {
        try probeResults(ips, timeout: timeout).map(\.verdict.abiValue)
    }

    /// One probe round as the host reads it: verdicts with the round-trip times the plugin measured.
    public func probeResults(_ ips: [String], timeout: Double? = nil) throws -> [ProbeResult] {
        let targets = try ips.map { ip in
            guard let address = IPAddress(ip) else { throw HarnessError(message: "'\(ip)' is not an IP address") }
            return HealthTarget(address: address)
        }
        let budget = timeout ?? schedule.timeout
        return try instance.probe(targets, deadline: HealthPlugins.now() + UInt64(budget * 1e9), generation: 1)
    }

    /// report_info's fields as section -> key -> value.
    public func info() -> [String: [String: String]] {
        let info = instance.info()
        return ["params": info.params, "stats": info.stats]
    }

    public func stop() {
        instance.shutdown()
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A harness misuse (not a plugin's answer).
public struct HarnessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
