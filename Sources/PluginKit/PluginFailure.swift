import PluginABI

/// A status code with the message for the caller's vpcr_error.
public struct PluginFailure: Error {
    public let code: vpcr_status
    public let message: String

    public init(code: vpcr_status, message: String) {
        self.code = code
        self.message = message
    }

    public init(config message: String) {
        self.init(code: vpcr_status(VPCR_E_CONFIG), message: message)
    }

    /// Fills a caller-owned error (which may be NULL), truncating the message to fit.
    public func write(to error: UnsafeMutablePointer<vpcr_error>?) {
        guard let error else { return }
        error.pointee.code = code
        withUnsafeMutableBytes(of: &error.pointee.message) { buffer in
            let bytes = Array(message.utf8.prefix(buffer.count - 1))
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
    }
}

extension vpcr_error {
    /// The message the host wrote, as text.
    public var text: String {
        var copy = self
        return withUnsafeBytes(of: &copy.message) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }
}
