import Glibc

/// A probe target's address as a socket address of its family, read from the host's text with
/// inet_pton (the host has already checked and canonicalised it).
public enum ProbeAddress {
    case v4(in_addr)
    case v6(in6_addr)

    /// nil when the text is neither an IPv4 nor an IPv6 address.
    public init?(_ text: UnsafePointer<CChar>) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(v4)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(v6)
            return
        }
        return nil
    }

    public var family: Int32 {
        switch self {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    public var isV6: Bool {
        if case .v6 = self { return true }
        return false
    }

    /// Calls `body` with this address and `port` as a `sockaddr` of the right length.
    public func withSocketAddress<Result>(port: UInt16 = 0, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        switch self {
        case .v4(let address):
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = port.bigEndian
            socketAddress.sin_addr = address
            return withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let address):
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port.bigEndian
            socketAddress.sin6_addr = address
            return withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// True when `source` (as filled in by recvfrom) is this address.
    public func matches(_ source: UnsafePointer<sockaddr_storage>) -> Bool {
        switch self {
        case .v4(let address):
            guard Int32(source.pointee.ss_family) == AF_INET else { return false }
            return source.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr == address.s_addr }
        case .v6(var address):
            guard Int32(source.pointee.ss_family) == AF_INET6 else { return false }
            return source.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                var received = pointer.pointee.sin6_addr
                return memcmp(&received, &address, MemoryLayout<in6_addr>.size) == 0
            }
        }
    }
}
