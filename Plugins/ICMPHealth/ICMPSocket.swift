import Glibc

/// The ICMP socket of one address family a monitor sends all its echo requests of that family
/// through: one for IPv4 (ICMP) and one for IPv6 (ICMPv6).
///
/// A raw socket needs CAP_NET_RAW and sees every ICMP packet the host receives, so replies are
/// matched by our identifier. A datagram ("ping") socket needs the process's group inside
/// net.ipv4.ping_group_range (which governs ICMPv6 ping sockets too); the kernel then owns the
/// identifier (it rewrites ours to the socket's port) and hands us only our own replies, without
/// the IP header. Raw ICMPv6 sockets never carry the IP header, and the kernel fills in the
/// ICMPv6 checksum (it covers a pseudo-header only the kernel knows).
final class ICMPSocket {
    enum Kind: String {
        case raw
        case datagram
    }

    let descriptor: Int32
    let kind: Kind
    let isV6: Bool

    private init(descriptor: Int32, kind: Kind, isV6: Bool) {
        self.descriptor = descriptor
        self.kind = kind
        self.isV6 = isV6
    }

    /// ICMP echo request and reply types: 8 and 0 for IPv4, 128 and 129 for ICMPv6.
    var echoRequestType: UInt8 { isV6 ? 128 : 8 }
    var echoReplyType: UInt8 { isV6 ? 129 : 0 }
    /// Whether received datagrams start with the IP header (raw IPv4 only).
    var deliversIPHeader: Bool { kind == .raw && !isV6 }

    deinit {
        close(descriptor)
    }

    /// Opens a raw socket of the family, else a datagram one.
    static func open(v6: Bool = false) -> Result<ICMPSocket, ICMPSocketUnavailable> {
        var refusals: [(Kind, Int32)] = []
        for kind in [Kind.raw, .datagram] {
            let type = kind == .raw ? Int32(SOCK_RAW.rawValue) : Int32(SOCK_DGRAM.rawValue)
            let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            let descriptor = v6
                ? socket(AF_INET6, type | flags, Int32(IPPROTO_ICMPV6))
                : socket(AF_INET, type | flags, Int32(IPPROTO_ICMP))
            if descriptor >= 0 {
                let opened = ICMPSocket(descriptor: descriptor, kind: kind, isV6: v6)
                opened.tune()
                return .success(opened)
            }
            refusals.append((kind, errno))
        }
        return .failure(ICMPSocketUnavailable(refusals: refusals, isV6: v6))
    }

    /// A large receive buffer so a burst of thousands of replies is not dropped before we read
    /// it; on a raw socket, a filter so other ICMP traffic never wakes us.
    private func tune() {
        var bufferSize: Int32 = 4 << 20
        let size = socklen_t(MemoryLayout<Int32>.size)
        // SO_RCVBUFFORCE passes rmem_max with CAP_NET_ADMIN; otherwise take what SO_RCVBUF gives.
        if setsockopt(descriptor, SOL_SOCKET, SO_RCVBUFFORCE, &bufferSize, size) != 0 {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &bufferSize, size)
        }
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &bufferSize, size)
        if kind == .raw && isV6 {
            // netinet/icmp6.h: ICMP6_FILTER (1) at level IPPROTO_ICMPV6; a set bit blocks that type.
            var filter = [UInt32](repeating: .max, count: 8)
            filter[Int(echoReplyType) >> 5] &= ~(UInt32(1) << (UInt32(echoReplyType) & 31))
            _ = setsockopt(descriptor, Int32(IPPROTO_ICMPV6), 1, &filter, socklen_t(MemoryLayout<UInt32>.size * 8))
        } else if kind == .raw {
            // linux/icmp.h: ICMP_FILTER (1) at level SOL_RAW (255); a set bit drops that type.
            var dropAllButEchoReply: UInt32 = ~(UInt32(1) << 0)
            _ = setsockopt(descriptor, 255, 1, &dropAllButEchoReply, socklen_t(MemoryLayout<UInt32>.size))
        }
    }
}

/// Neither kind of ICMP socket could be opened; the message says what to grant.
struct ICMPSocketUnavailable: Error, CustomStringConvertible {
    let refusals: [(ICMPSocket.Kind, Int32)]
    var isV6 = false

    /// True when the kernel has no IPv6 at all (booted with ipv6.disable=1).
    var familyUnsupported: Bool { refusals.allSatisfy { $0.1 == EAFNOSUPPORT } }

    var description: String {
        let reasons = refusals.map { kind, code in
            "\(kind.rawValue) socket: \(String(cString: strerror(code)))"
        }.joined(separator: "; ")
        let range = Self.pingGroupRange() ?? "unreadable"
        return "icmpecho cannot open an \(isV6 ? "ICMPv6" : "ICMP") socket (\(reasons)). Grant the daemon CAP_NET_RAW "
            + "(e.g. AmbientCapabilities=CAP_NET_RAW in its systemd unit, or setcap cap_net_raw+ep on the binary), "
            + "or let its group \(getegid()) use ping sockets: sysctl -w net.ipv4.ping_group_range=\"\(getegid()) \(getegid())\" "
            + "(now \"\(range)\")"
    }

    static func pingGroupRange() -> String? {
        guard let file = fopen("/proc/sys/net/ipv4/ping_group_range", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(whereSeparator: { $0 == "\t" || $0 == " " || $0 == "\n" }).joined(separator: " ")
    }
}
