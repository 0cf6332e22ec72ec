import Foundation
import Glibc
import HealthPluginHarness
import PluginABI
@testable import PluginHost
import Testing

private func createFailure(_ plugin: String, _ options: [String: String]) -> PluginError? {
    do {
        let driver = try HealthPlugins(options: options)
        let instance = try driver.start(plugin)
        instance.stop()
        return nil
    } catch let failure as PluginError {
        return failure
    } catch {
        return PluginError(plugin: plugin, operation: "create", code: 0, message: "\(error)")
    }
}

@Suite("Health plugin descriptors and options")
struct PluginOptionTests {
    @Test("each plugin declares its name, kind and options as data")
    func descriptors() throws {
        let driver = try HealthPlugins()
        #expect(Set(driver.plugins.keys) == ["icmpecho", "tcp", "multi"])
        func optionNames(_ plugin: String) -> [String: String?] {
            let descriptor = driver.plugins[plugin]!.descriptor
            #expect(descriptor.kind == VPCR_KIND_HEALTH)
            #expect(descriptor.probe != nil)
            var names: [String: String?] = [:]
            for index in 0..<Int(descriptor.option_count) {
                let option = UnsafeRawPointer(descriptor.options!).load(fromByteOffset: index * Int(descriptor.option_stride), as: vpcr_option_decl.self)
                names.updateValue(option.default_value.map { String(cString: $0) }, forKey: String(cString: option.long_name))
            }
            return names
        }
        #expect(optionNames("icmpecho") == ["icmp_check_interval": "2", "icmp_check_timeout": nil])
        #expect(optionNames("tcp") == ["tcp_check_port": "22", "tcp_check_interval": "2", "tcp_check_timeout": nil])
        #expect(optionNames("multi") == ["multi_plugins": nil])
    }

    @Test("tcp accepts ports 1 through 65535 and refuses others", arguments: ["0", "65536", "-1", "http", "65535", "1"])
    func tcpPortBounds(port: String) {
        let failure = createFailure("tcp", ["tcp_check_port": port])
        if port == "65535" || port == "1" {
            #expect(failure == nil)
        } else {
            #expect(failure?.code == vpcr_status(VPCR_E_CONFIG))
            #expect(failure?.message.contains("tcp_check_port") == true)
        }
    }

    @Test("tcp's default timeout is 1 s, shortened for short intervals; schedule follows the interval")
    func tcpSchedule() throws {
        let driver = try HealthPlugins(options: ["tcp_check_interval": "0.4"])
        let tcp = try driver.start("tcp")
        defer { tcp.stop() }
        let timeout = try #require(Double(tcp.info()["params"]?["tcp_check_timeout"] ?? ""))
        #expect(abs(timeout - 0.3) < 1e-9)
        #expect(tcp.schedule.interval == 0.4)
        #expect(createFailure("tcp", ["tcp_check_interval": "1", "tcp_check_timeout": "2"])?.code == vpcr_status(VPCR_E_CONFIG))
        #expect(createFailure("tcp", ["tcp_check_interval": "0.05"])?.code == vpcr_status(VPCR_E_CONFIG))
    }

    @Test("icmpecho refuses intervals out of range and a timeout longer than the interval")
    func icmpechoOptionBounds() {
        #expect(createFailure("icmpecho", ["icmp_check_interval": "0.01"])?.code == vpcr_status(VPCR_E_CONFIG))
        #expect(createFailure("icmpecho", ["icmp_check_interval": "3601"])?.code == vpcr_status(VPCR_E_CONFIG))
        #expect(createFailure("icmpecho", ["icmp_check_interval": "nan"])?.code == vpcr_status(VPCR_E_CONFIG))
        let tooLong = createFailure("icmpecho", ["icmp_check_interval": "1", "icmp_check_timeout": "1.5"])
        #expect(tooLong?.message.contains("must not exceed icmp_check_interval") == true)
    }

    @Test("multi needs a list of other plugins it can open", arguments: [
        ("", "empty name"), ("icmpecho::tcp", "empty name"), ("icmpecho:multi", "must not name multi"),
        ("tcp:tcp", "names a plugin twice"), ("tcp:nosuch", "cannot open health plugin 'nosuch'"),
    ])
    func multiRefusals(list: String, reason: String) {
        let failure = createFailure("multi", ["multi_plugins": list])
        #expect(failure != nil)
        #expect(failure?.message.contains(reason) == true, "\(String(describing: failure))")
    }

    @Test("multi without multi_plugins is refused")
    func multiRequiresList() {
        #expect(createFailure("multi", [:])?.code == vpcr_status(VPCR_E_CONFIG))
    }

    @Test("a target that is not an IPv4 address gets no opinion")
    func unparsableTarget() throws {
        let driver = try HealthPlugins(options: ["tcp_check_port": "9"])
        let tcp = try driver.start("tcp")
        defer { tcp.stop() }
        // The host only ever sends canonical IPv4 text; the raw call shows the plugin copes anyway.
        #expect(try rawProbe(tcp.instance, ["not-an-ip", "300.1.1.1"], timeout: 0.2) == [VPCR_VERDICT_UNKNOWN, VPCR_VERDICT_UNKNOWN])
    }

    @Test("a target stride shorter than ABI 1.0's target is refused, not read past", arguments: ["tcp", "icmpecho"])
    func shortTargetStride(plugin: String) throws {
        let driver = try HealthPlugins(options: ["tcp_check_port": "9"])
        let instance = try driver.start(plugin)
        defer { instance.stop() }
        let refusal = #expect(throws: PluginError.self) {
            try rawProbe(instance.instance, ["127.0.0.1", "127.0.0.2"], timeout: 0.2, stride: 8)
        }
        #expect(refusal?.code == vpcr_status(VPCR_E_INVALID))
        #expect(refusal?.message.contains("short target stride") == true, "\(String(describing: refusal))")
    }

    /// A 1.0 host's request ends before `out_rtt_ns`: whatever lies there is not the plugin's to write.
    @Test("round trips are written for a 1.1 request and never past a 1.0 request's end",
          .enabled(if: geteuid() == 0, "needs CAP_NET_RAW"), arguments: ["icmpecho", "tcp", "multi"])
    func roundTripsOnlyWhereTheRequestHasThem(plugin: String) throws {
        let listener = try LoopbackListener()
        let driver = try HealthPlugins(options: ["tcp_check_port": "\(listener.port)", "multi_plugins": "icmpecho:tcp"])
        let instance = try driver.start(plugin)
        defer { instance.stop() }
        var canary: [UInt64] = [7, 7]
        let oldVerdicts = try canary.withUnsafeMutableBufferPointer { buffer in
            try rawProbe(instance.instance, ["127.0.0.1", "127.0.0.2"], timeout: 0.5, requestSize: 40, roundTrips: buffer.baseAddress)
        }
        #expect(oldVerdicts == [VPCR_VERDICT_HEALTHY, VPCR_VERDICT_HEALTHY])
        #expect(canary == [7, 7], "a 1.0 request's neighbour memory was written")

        let results = try instance.probeResults(["127.0.0.1", "127.0.0.2"], timeout: 0.5)
        #expect(results.map(\.verdict) == [.healthy, .healthy])
        for result in results {
            let rtt = try #require(result.roundTripTime, "no round trip for a healthy verdict")
            #expect(rtt > .zero && rtt < .milliseconds(500))
        }
    }

    @Test("icmpecho has no opinion on targets it had no time to ask", .enabled(if: geteuid() == 0, "needs CAP_NET_RAW"))
    func icmpechoWithoutTime() throws {
        let driver = try HealthPlugins()
        let icmp = try driver.start("icmpecho")
        defer { icmp.stop() }
        #expect(try icmp.probe(["127.0.0.1", "127.0.0.2"], timeout: 0) == [VPCR_VERDICT_UNKNOWN, VPCR_VERDICT_UNKNOWN])
        #expect(try icmp.probe(["127.0.0.1"], timeout: 0.5) == [VPCR_VERDICT_HEALTHY])
    }
}

/// A probe round with targets the host would never send, through the instance's raw probe call.
private func rawProbe(
    _ instance: PluginInstance, _ ips: [String], timeout: Double, stride: Int = MemoryLayout<vpcr_target>.stride,
    requestSize: Int = MemoryLayout<vpcr_probe_request>.size, roundTrips: UnsafeMutablePointer<UInt64>? = nil
) throws -> [vpcr_verdict] {
    let cStrings = ips.map { strdup($0)! }
    defer { cStrings.forEach { free($0) } }
    let targets = cStrings.map { vpcr_target(ip: UnsafePointer($0), instance_id: nil) }
    var verdicts = [vpcr_verdict](repeating: VPCR_VERDICT_FORCE32, count: ips.count)
    var error = vpcr_error()
    let status = targets.withUnsafeBufferPointer { buffer in
        var request = vpcr_probe_request(
            struct_size: UInt32(requestSize), target_stride: UInt32(stride),
            generation: 1, deadline_mono_ns: HealthPlugins.now() + UInt64(timeout * 1e9),
            targets: buffer.baseAddress, target_count: UInt32(buffer.count), reserved: 0, out_rtt_ns: roundTrips)
        return instance.probeRaw(&request, &verdicts, &error)
    }
    guard status == VPCR_OK else {
        throw PluginError(plugin: instance.plugin.name, operation: "probe", code: status, message: withUnsafeBytes(of: &error.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) })
    }
    return verdicts
}

/// A TCP listener on the loopback addresses, for tcp probes that must connect.
private final class LoopbackListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY.bigEndian
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard descriptor >= 0, bound == 0, listen(descriptor, 64) == 0 else {
            throw ListenFailure(errno: errno)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        self.descriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(descriptor) }
}

private struct ListenFailure: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "cannot listen on loopback: errno \(errno)" }
}
