import Glibc
import PluginKit

/// One round of echo requests to every target, through the socket of its family (ICMP for IPv4,
/// ICMPv6 for IPv6), and the wait for replies on both.
///
/// Requests go out in bursts between reads so a burst of thousands never overruns the receive
/// buffer. A reply counts only if it carries our identifier (raw sockets see everyone's pings),
/// this round's random token (a late reply to an earlier round is not an answer now) and comes
/// from the address the request went to. Targets still silent halfway through the window get
/// one more request, so a single lost packet does not fail a router.
final class EchoRound {
    private let socketV4: ICMPSocket?
    private let socketV6: ICMPSocket?
    private let identifier: UInt16
    private let token: UInt64
    private let addresses: [ProbeAddress?]
    private(set) var outcome: [Outcome]
    private(set) var sentCount = 0
    private(set) var sendErrors = 0
    private var waiting = 0

    private static let headerSize = 8
    private static let payloadSize = 16
    private static let payloadMarker: UInt32 = 0x5643_5052
    private static let burstSize = 256

    /// A target whose address is nil, or whose family has no socket, must already have an outcome
    /// other than `.pending`.
    init(socketV4: ICMPSocket?, socketV6: ICMPSocket?, identifier: UInt16, token: UInt64, addresses: [ProbeAddress?], outcome: [Outcome]) {
        self.socketV4 = socketV4
        self.socketV6 = socketV6
        self.identifier = identifier
        self.token = token
        self.addresses = addresses
        self.outcome = outcome
    }

    /// Sends and reads until every target has an outcome or `deadline` (our monotonic clock);
    /// at `retryAt` the unanswered targets are asked once more.
    func run(until deadline: UInt64, retryAt: UInt64? = nil) {
        var nextToSend = 0
        var retrying = false
        waiting = outcome.reduce(0) { count, state in
            if case .pending = state { return count + 1 }
            return count
        }
        var packet = [UInt8](repeating: 0, count: Self.headerSize + Self.payloadSize)
        var receiveBuffer = [UInt8](repeating: 0, count: 2048)
        let sockets = [socketV4, socketV6].compactMap { $0 }
        for socket in sockets { drain(socket, into: &receiveBuffer) } // stale replies of an earlier round go now, unmatched

        while waiting > 0 {
            let now = monotonicNanoseconds()
            if now >= deadline { break }
            if !retrying, let retryAt, now >= retryAt, nextToSend >= outcome.count {
                retrying = true
                nextToSend = 0
            }
            var sendBlocked = false
            var burst = 0
            while nextToSend < outcome.count && burst < Self.burstSize {
                guard needsRequest(nextToSend, retrying: retrying) else {
                    nextToSend += 1
                    continue
                }
                // Timed before the send: on a link in the same host the answer can arrive before sendto returns.
                let sendingAt = monotonicNanoseconds()
                switch send(to: nextToSend, packet: &packet) {
                case .sent:
                    outcome[nextToSend] = .sent(atNanoseconds: sendingAt)
                    sentCount += 1
                case .blocked:
                    sendBlocked = true
                case .refused:
                    outcome[nextToSend] = .unreachable
                    sendErrors += 1
                    waiting -= 1
                }
                if sendBlocked { break }
                nextToSend += 1
                burst += 1
            }
            let moreToSend = nextToSend < outcome.count
            var wakeAt = deadline
            if !retrying, let retryAt, retryAt > now {
                wakeAt = min(wakeAt, retryAt)
            }
            var wait = Int32(clamping: (wakeAt - now + 999_999) / 1_000_000)
            if moreToSend {
                // Only a short look for replies between bursts; a full buffer gets a moment to drain.
                wait = sendBlocked ? min(wait, 1) : 0
            }
            var descriptors = sockets.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            if poll(&descriptors, nfds_t(descriptors.count), wait) > 0 {
                for (socket, descriptor) in zip(sockets, descriptors) where descriptor.revents != 0 {
                    drain(socket, into: &receiveBuffer)
                }
            }
        }
    }

    private func needsRequest(_ index: Int, retrying: Bool) -> Bool {
        switch outcome[index] {
        case .pending: return !retrying
        case .sent: return retrying
        default: return false
        }
    }

    private enum SendResult {
        case sent
        case blocked
        case refused
    }

    private func send(to index: Int, packet: inout [UInt8]) -> SendResult {
        guard let address = addresses[index], let socket = address.isV6 ? socketV6 : socketV4 else { return .refused }
        let sequence = UInt16(truncatingIfNeeded: index)
        packet.withUnsafeMutableBytes { bytes in
            bytes[0] = socket.echoRequestType
            bytes[1] = 0
            bytes.storeBytes(of: 0, toByteOffset: 2, as: UInt16.self)
            bytes.storeBytes(of: identifier.bigEndian, toByteOffset: 4, as: UInt16.self)
            bytes.storeBytes(of: sequence.bigEndian, toByteOffset: 6, as: UInt16.self)
            bytes.storeBytes(of: token, toByteOffset: 8, as: UInt64.self)
            bytes.storeBytes(of: UInt32(truncatingIfNeeded: index), toByteOffset: 16, as: UInt32.self)
            bytes.storeBytes(of: Self.payloadMarker, toByteOffset: 20, as: UInt32.self)
            // The kernel computes the ICMPv6 checksum itself (it covers the IPv6 pseudo-header).
            if !socket.isV6 {
                bytes.storeBytes(of: Self.checksum(UnsafeRawBufferPointer(bytes)), toByteOffset: 2, as: UInt16.self)
            }
        }
        let sent = address.withSocketAddress { destination, length in
            sendto(socket.descriptor, packet, packet.count, Int32(MSG_NOSIGNAL), destination, length)
        }
        if sent >= 0 { return .sent }
        switch errno {
        case EAGAIN, EWOULDBLOCK, ENOBUFS, EINTR: return .blocked
        default: return .refused
        }
    }

    /// Reads every datagram waiting on the socket and records the ones that answer this round.
    private func drain(_ socket: ICMPSocket, into buffer: inout [UInt8]) {
        while true {
            var source = sockaddr_storage()
            var sourceLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &source) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                        recvfrom(socket.descriptor, bytes.baseAddress, bytes.count, 0, address, &sourceLength)
                    }
                }
            }
            if received < 0 {
                if errno == EINTR { continue }
                return // EAGAIN: nothing more for now
            }
            let receivedAt = monotonicNanoseconds()
            buffer.withUnsafeBytes { bytes in
                withUnsafePointer(to: &source) { sourcePointer in
                    match(UnsafeRawBufferPointer(rebasing: bytes[0..<received]), on: socket, from: sourcePointer, at: receivedAt)
                }
            }
        }
    }

    private func match(_ datagram: UnsafeRawBufferPointer, on socket: ICMPSocket, from source: UnsafePointer<sockaddr_storage>, at receivedAt: UInt64) {
        var icmpStart = 0
        if socket.deliversIPHeader {
            guard datagram.count >= 20 else { return }
            icmpStart = Int(datagram[0] & 0x0f) * 4
        }
        guard datagram.count >= icmpStart + Self.headerSize + Self.payloadSize else { return }
        let icmp = UnsafeRawBufferPointer(rebasing: datagram[icmpStart...])
        guard icmp[0] == socket.echoReplyType, icmp[1] == 0 else { return } // echo reply
        if socket.kind == .raw {
            // The kernel delivers only our own replies to a datagram socket (and rewrites the id).
            guard UInt16(bigEndian: icmp.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) == identifier else { return }
        }
        guard icmp.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == token,
              icmp.loadUnaligned(fromByteOffset: 20, as: UInt32.self) == Self.payloadMarker
        else { return }
        let index = Int(icmp.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        guard index < addresses.count, addresses[index]?.matches(source) == true,
              case .sent(let sentAt) = outcome[index]
        else { return }
        outcome[index] = .answered(rttNanoseconds: receivedAt &- sentAt)
        waiting -= 1
    }

    /// The Internet checksum (RFC 1071) of the ICMP message.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count {
            sum += UInt32(bytes[index]) << 8
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16)
        }
        return (~UInt16(truncatingIfNeeded: sum)).bigEndian
    }
}
