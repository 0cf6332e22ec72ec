import PluginABI

/// The targets of a probe request, read field by field with ABI 1.0's layout of `vpcr_target`
/// (ip, instance_id) at the host's stride. The check is against the size these fields need
/// (VPCR_TARGET_V1_0_SIZE), not sizeof of today's struct, so requests from a host built with a
/// smaller or larger `vpcr_target` are read alike.
public struct ProbeTargets {
    public let count: Int
    private let base: UnsafeRawPointer?
    private let stride: Int
    private static let instanceIDOffset = MemoryLayout<vpcr_target>.offset(of: \vpcr_target.instance_id)!

    /// Nil, with the reason written to `error`, when the request has no array or a stride too short.
    public init?(_ request: UnsafePointer<vpcr_probe_request>, error: UnsafeMutablePointer<vpcr_error>?) {
        count = Int(request.pointee.target_count)
        base = UnsafeRawPointer(request.pointee.targets)
        stride = Int(request.pointee.target_stride)
        guard count == 0 || (base != nil && stride >= Int(VPCR_TARGET_V1_0_SIZE)) else {
            PluginFailure(code: vpcr_status(VPCR_E_INVALID), message: "probe request has no targets array or a short target stride")
                .write(to: error)
            return nil
        }
    }

    /// The router's IP text (canonical dotted quad from this host; NULL from a broken one).
    public func ip(at index: Int) -> UnsafePointer<CChar>? {
        base!.load(fromByteOffset: index * stride, as: UnsafePointer<CChar>?.self)
    }

    /// The EC2 instance id when the host knows it.
    public func instanceID(at index: Int) -> UnsafePointer<CChar>? {
        base!.load(fromByteOffset: index * stride + Self.instanceIDOffset, as: UnsafePointer<CChar>?.self)
    }
}
