import Glibc

/// The one ICMP socket a monitor sends all echo requests through.
///
/// A raw socket needs CAP_NET_RAW and sees every ICMP packet the host receives, so replies are
/// matched by our identifier. A datagram ("ping") socket needs the process's group inside
/// net.ipv4.ping_group_range; the kernel then owns the identifier (it rewrites ours to the
/// socket's port) and hands us only our own replies, without the IP header.
final class ICMPSocket {
    enum Kind: String {
        case raw
        case datagram
    }

    let descriptor: Int32
    let kind: Kind

    private init(descriptor: Int32, kind: Kind) {
        self.descriptor = descriptor
        self.kind = kind
    }

    deinit {
        close(descriptor)
    }

    /// Opens a raw socket, else a datagram one.
    static func open() -> Result<ICMPSocket, ICMPSocketUnavailable> {
        var refusals: [(Kind, Int32)] = []
        for kind in [Kind.raw, .datagram] {
            let type = kind == .raw ? Int32(SOCK_RAW.rawValue) : Int32(SOCK_DGRAM.rawValue)
            let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            let descriptor = socket(AF_INET, type | flags, Int32(IPPROTO_ICMP))
            if descriptor >= 0 {
                let opened = ICMPSocket(descriptor: descriptor, kind: kind)
                opened.tune()
                return .success(opened)
            }
            refusals.append((kind, errno))
        }
        return .failure(ICMPSocketUnavailable(refusals: refusals))
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
        if kind == .raw {
            // linux/icmp.h: ICMP_FILTER (1) at level SOL_RAW (255); a set bit drops that type.
            var dropAllButEchoReply: UInt32 = ~(UInt32(1) << 0)
            _ = setsockopt(descriptor, 255, 1, &dropAllButEchoReply, socklen_t(MemoryLayout<UInt32>.size))
        }
    }
}

/// Neither kind of ICMP socket could be opened; the message says what to grant.
struct ICMPSocketUnavailable: Error, CustomStringConvertible {
    let refusals: [(ICMPSocket.Kind, Int32)]

    var description: String {
        let reasons = refusals.map { kind, code in
            "\(kind.rawValue) socket: \(String(cString: strerror(code)))"
        }.joined(separator: "; ")
        let range = Self.pingGroupRange() ?? "unreadable"
        return "icmpecho cannot open an ICMP socket (\(reasons)). Grant the daemon CAP_NET_RAW "
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
