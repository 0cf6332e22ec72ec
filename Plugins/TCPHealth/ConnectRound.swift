import Glibc
import PluginKit

/// One round of non-blocking connects to every target (IPv4 or IPv6, a socket of the target's
/// family each), driven by a single poll() loop.
///
/// A sliding window keeps at most `maximumOpenSockets` connects in flight; a finished one frees
/// its slot for the next target at once. Sockets close with SO_LINGER 0 (a reset instead of a
/// FIN), so thousands of checks per round leave no TIME_WAIT entries behind.
final class ConnectRound {
    enum Outcome {
        case notStarted
        case invalidAddress
        case connecting(descriptor: Int32, startedAt: UInt64)
        /// The handshake finished this long after the connect was sent.
        case connected(rttNanoseconds: UInt64)
        case failed
    }

    private let addresses: [ProbeAddress?]
    private let port: UInt16
    private let connectTimeout: UInt64
    private let maximumOpenSockets: Int
    private(set) var outcome: [Outcome]
    private(set) var started = 0
    private(set) var descriptorShortage = false

    init(addresses: [ProbeAddress?], port: UInt16, connectTimeoutNanoseconds: UInt64, maximumOpenSockets: Int) {
        self.addresses = addresses
        self.port = port
        self.connectTimeout = connectTimeoutNanoseconds
        self.maximumOpenSockets = maximumOpenSockets
        self.outcome = addresses.map { $0 == nil ? .invalidAddress : .notStarted }
    }

    func run(until deadline: UInt64) {
        var next = 0
        var inFlight: [Int] = [] // target indexes with an open socket
        defer {
            // Connects still pending at the deadline had no answer in time.
            for index in inFlight {
                finish(index, as: .failed)
            }
        }
        while true {
            var now = monotonicNanoseconds()
            if now >= deadline { return }
            while inFlight.count < maximumOpenSockets && next < addresses.count {
                guard let address = addresses[next] else {
                    next += 1
                    continue
                }
                guard let descriptor = openSocket(family: address.family) else { break } // out of descriptors: wait for a slot
                started += 1
                let sentAt = monotonicNanoseconds()
                switch connect(descriptor, to: address) {
                case 0:
                    close(descriptor)
                    outcome[next] = .connected(rttNanoseconds: monotonicNanoseconds() - sentAt)
                case EINPROGRESS:
                    outcome[next] = .connecting(descriptor: descriptor, startedAt: sentAt)
                    inFlight.append(next)
                default:
                    close(descriptor)
                    outcome[next] = .failed
                }
                next += 1
            }
            if inFlight.isEmpty {
                if next >= addresses.count { return }
                if descriptorShortage {
                    // Nothing of ours to wait for, yet no descriptor: give others a moment.
                    _ = poll(nil, 0, 5)
                }
                continue
            }

            now = monotonicNanoseconds()
            var wakeAt = deadline
            var pollSet: [pollfd] = []
            pollSet.reserveCapacity(inFlight.count)
            for index in inFlight {
                guard case .connecting(let descriptor, let startedAt) = outcome[index] else { continue }
                wakeAt = min(wakeAt, startedAt + connectTimeout)
                pollSet.append(pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0))
            }
            let waitMilliseconds = wakeAt > now ? Int32(clamping: (wakeAt - now + 999_999) / 1_000_000) : 0
            let ready = poll(&pollSet, nfds_t(pollSet.count), waitMilliseconds)
            now = monotonicNanoseconds()

            var stillInFlight: [Int] = []
            stillInFlight.reserveCapacity(inFlight.count)
            for (slot, index) in inFlight.enumerated() {
                guard case .connecting(let descriptor, let startedAt) = outcome[index] else { continue }
                if ready > 0 && pollSet[slot].revents != 0 {
                    finish(index, as: socketError(descriptor) == 0 ? .connected(rttNanoseconds: now - startedAt) : .failed)
                } else if now >= startedAt + connectTimeout {
                    finish(index, as: .failed)
                } else {
                    stillInFlight.append(index)
                }
            }
            inFlight = stillInFlight
        }
    }

    private func finish(_ index: Int, as result: Outcome) {
        if case .connecting(let descriptor, _) = outcome[index] {
            close(descriptor)
        }
        outcome[index] = result
    }

    private func openSocket(family: Int32) -> Int32? {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | flags, 0)
        guard descriptor >= 0 else {
            if errno == EMFILE || errno == ENFILE { descriptorShortage = true }
            return nil
        }
        var resetOnClose = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &resetOnClose, socklen_t(MemoryLayout<linger>.size))
        return descriptor
    }

    /// 0 for an immediate connection, EINPROGRESS while the handshake runs, else the error.
    private func connect(_ descriptor: Int32, to address: ProbeAddress) -> Int32 {
        let result = address.withSocketAddress(port: port) { destination, length in
            Glibc.connect(descriptor, destination, length)
        }
        return result == 0 ? 0 : errno
    }

    private func socketError(_ descriptor: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code
    }
}
