import Glibc
import PluginABI

/// The host services table; set once by the entry point and kept for the process lifetime.
/// Each plugin links its own copy of this module and the host opens plugins with RTLD_LOCAL, so
/// every plugin has its own table pointer.
public nonisolated(unsafe) internal(set) var hostServices: UnsafePointer<vpcr_host_api_v1>?

/// Logs through the host with structured fields; silently dropped before the entry point ran.
public func hostLog(_ context: OpaquePointer?, _ level: vpcr_log_level, _ message: String, fields: [(String, String)] = []) {
    guard let log = hostServices?.pointee.log else { return }
    let keys = fields.map { strdup($0.0) }
    let values = fields.map { strdup($0.1) }
    defer {
        keys.forEach { free($0) }
        values.forEach { free($0) }
    }
    let cFields = zip(keys, values).map { vpcr_field(key: $0.0, value: $0.1) }
    cFields.withUnsafeBufferPointer { buffer in
        log(context, level, message, buffer.baseAddress, UInt32(buffer.count))
    }
}

/// The host's monotonic clock, the clock of every deadline.
public func hostNow(_ context: OpaquePointer?) -> UInt64 {
    hostServices?.pointee.monotonic_now_ns?(context) ?? monotonicNanoseconds()
}

/// CLOCK_MONOTONIC in nanoseconds, for timing inside a probe round without a host call.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Adds one params or stats field to a report_info sink.
public func hostInfoAdd(_ sink: OpaquePointer?, _ section: String, _ key: String, _ value: String) {
    hostServices?.pointee.info_add?(sink, section, key, value)
}
