import PluginABI

/// What a plugin's create() makes: the INSTANCE calls, report_info and, for health plugins, probe.
/// Every requirement but reportInfo has a default, so a plugin writes only what it does.
public protocol PluginInstance: AnyObject {
    /// INSTANCE. Begin work; a failure is handed to the host (which then skips stop).
    func start() throws(PluginFailure)
    /// INSTANCE. Finish by the deadline (host monotonic clock).
    func stop(deadlineNanoseconds: UInt64)
    /// INSTANCE. Last call before the instance is released; also made when stop was not.
    func destroy()
    /// HANDLER. Report params and stats with hostInfoAdd.
    func reportInfo(to sink: OpaquePointer)
    /// PROBE. Health plugins only: one verdict per target.
    func probe(
        _ request: UnsafePointer<vpcr_probe_request>, verdicts: UnsafeMutablePointer<vpcr_verdict>,
        error: UnsafeMutablePointer<vpcr_error>?
    ) -> vpcr_status
}

extension PluginInstance {
    public func start() throws(PluginFailure) {}

    public func stop(deadlineNanoseconds: UInt64) {}

    public func destroy() {}

    public func probe(
        _ request: UnsafePointer<vpcr_probe_request>, verdicts: UnsafeMutablePointer<vpcr_verdict>,
        error: UnsafeMutablePointer<vpcr_error>?
    ) -> vpcr_status {
        let failure = PluginFailure(code: vpcr_status(VPCR_E_UNSUPPORTED), message: "not a health plugin")
        failure.write(to: error)
        return failure.code
    }
}
