import PluginABI

/// Where a health plugin writes the round-trip time behind each verdict (ABI 1.1). A request from
/// a 1.0 host has no such array (its `struct_size` ends before `out_rtt_ns`); times recorded for
/// it go nowhere, so a plugin records unconditionally.
public struct ProbeRoundTrips {
    private let times: UnsafeMutablePointer<UInt64>?
    private let count: Int
    private static let fieldEnd = MemoryLayout<vpcr_probe_request>.offset(of: \vpcr_probe_request.out_rtt_ns)!
        + MemoryLayout<UnsafeMutablePointer<UInt64>?>.size

    public init(_ request: UnsafePointer<vpcr_probe_request>) {
        count = Int(request.pointee.target_count)
        times = Int(request.pointee.struct_size) >= Self.fieldEnd ? request.pointee.out_rtt_ns : nil
    }

    /// Whether the host asked for round-trip times.
    public var isRequested: Bool { times != nil }

    /// Records the time of the check behind target `index`'s verdict (0 is "not measured").
    public func record(nanoseconds: UInt64, at index: Int) {
        guard let times, index >= 0, index < count else { return }
        times[index] = nanoseconds
    }
}
