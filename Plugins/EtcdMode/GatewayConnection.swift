import Foundation
import Glibc

/// Why a request to the etcd gateway did not produce an answer.
struct GatewayError: Error, CustomStringConvertible {
    let message: String
    /// The plugin is stopping; not a fault of the endpoint.
    var stopped = false
    /// Nothing arrived before the deadline.
    var timedOut = false

    init(_ message: String, stopped: Bool = false, timedOut: Bool = false) {
        self.message = message
        self.stopped = stopped
        self.timedOut = timedOut
    }

    var description: String { message }
}

/// One HTTP/1.1 connection to an etcd endpoint over a plain socket. Every wait is a poll() that
/// also watches the plugin's stop descriptor, so a stop interrupts a blocked watch at once (a
/// URLSession task could not be cancelled safely on Linux, and its streaming is unreliable).
final class GatewayConnection {
    private let socketDescriptor: Int32
    private let stopDescriptor: Int32
    private var pending: [UInt8] = []

    private init(socketDescriptor: Int32, stopDescriptor: Int32) {
        self.socketDescriptor = socketDescriptor
        self.stopDescriptor = stopDescriptor
    }

    deinit { close(socketDescriptor) }

    /// Connects within `timeout` seconds.
    static func open(_ endpoint: EtcdEndpoint, stopDescriptor: Int32, timeout: Double) throws(GatewayError) -> GatewayConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &found)
        guard lookup == 0, let first = found else {
            throw GatewayError("cannot resolve \(endpoint.host): \(String(cString: gai_strerror(lookup)))")
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw GatewayError("socket: \(String(cString: strerror(errno)))") }
        let connection = GatewayConnection(socketDescriptor: descriptor, stopDescriptor: stopDescriptor)
        if connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw GatewayError("connect to \(endpoint): \(String(cString: strerror(errno)))") }
            try connection.wait(for: Int16(POLLOUT), until: Deadline(after: timeout), doing: "connect to \(endpoint)")
            var problem: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &problem, &length)
            if problem != 0 { throw GatewayError("connect to \(endpoint): \(String(cString: strerror(problem)))") }
        }
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        return connection
    }

    /// Sends `POST path` with a JSON body; the connection stays open for the answer.
    func post(_ path: String, host: String, body: [UInt8], until deadline: Deadline) throws(GatewayError) {
        let head = "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\nConnection: keep-alive\r\n\r\n"
        var bytes = Array(head.utf8) + body
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { send(socketDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                bytes.removeFirst(written)
            } else if written < 0 && (errno == EAGAIN || errno == EINTR) {
                try wait(for: Int16(POLLOUT), until: deadline, doing: "send")
            } else {
                throw GatewayError("send: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Reads a whole answer: status and body (Content-Length or chunked).
    func readAnswer(until deadline: Deadline) throws(GatewayError) -> (status: Int, body: [UInt8]) {
        let head = try readHead(until: deadline)
        var body: [UInt8] = []
        if head.chunked {
            while let chunk = try readChunk(until: deadline) { body += chunk }
        } else {
            body = try readExactly(head.contentLength ?? 0, until: deadline)
        }
        return (head.status, body)
    }

    /// Reads a streamed answer chunk by chunk, handing every complete line to `onLine`. Returns
    /// when the server ends the stream or `onLine` returns false. `idleTimeout` bounds the wait
    /// for each chunk, so a server that stops talking without closing is noticed.
    func streamLines(idleTimeout: Double, onLine: ([UInt8]) -> Bool) throws(GatewayError) -> Int {
        let head = try readHead(until: Deadline(after: idleTimeout))
        guard head.status == 200 else {
            let body = head.chunked ? ((try? readChunk(until: Deadline(after: idleTimeout))) ?? nil) ?? [] : []
            throw GatewayError("HTTP \(head.status): \(String(decoding: body, as: UTF8.self))")
        }
        guard head.chunked else { throw GatewayError("the watch answer is not a stream") }
        var line: [UInt8] = []
        while let chunk = try readChunk(until: Deadline(after: idleTimeout)) {
            for byte in chunk {
                if byte == UInt8(ascii: "\n") {
                    if !line.isEmpty && !onLine(line) { return head.status }
                    line.removeAll(keepingCapacity: true)
                } else if byte != UInt8(ascii: "\r") {
                    line.append(byte)
                }
            }
        }
        if !line.isEmpty { _ = onLine(line) }
        return head.status
    }

    // MARK: - Reading

    private struct Head {
        var status: Int
        var contentLength: Int?
        var chunked: Bool
    }

    private func readHead(until deadline: Deadline) throws(GatewayError) -> Head {
        let marker: [UInt8] = Array("\r\n\r\n".utf8)
        var end: Int?
        while end == nil {
            end = pending.firstRange(of: marker)?.upperBound
            if end == nil {
                if pending.count > 64 * 1024 { throw GatewayError("answer headers too long") }
                try fill(until: deadline)
            }
        }
        let text = String(decoding: pending[..<end!], as: UTF8.self)
        pending.removeFirst(end!)
        let lines = text.split(separator: "\r\n")
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw GatewayError("not an HTTP answer: \(lines.first ?? "")")
        }
        var head = Head(status: status, contentLength: nil, chunked: false)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { head.contentLength = Int(value) }
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { head.chunked = true }
        }
        return head
    }

    /// The next chunk of a chunked body, or nil after the last one.
    private func readChunk(until deadline: Deadline) throws(GatewayError) -> [UInt8]? {
        let sizeLine = try readLine(until: deadline)
        let sizeText = sizeLine.split(separator: ";").first.map(String.init) ?? ""
        guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
            throw GatewayError("bad chunk size \"\(sizeLine)\"")
        }
        if size == 0 {
            _ = try readLine(until: deadline)
            return nil
        }
        let data = try readExactly(size, until: deadline)
        _ = try readLine(until: deadline)
        return data
    }

    private func readLine(until deadline: Deadline) throws(GatewayError) -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeFirst(newline + 1)
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            try fill(until: deadline)
        }
    }

    private func readExactly(_ count: Int, until deadline: Deadline) throws(GatewayError) -> [UInt8] {
        while pending.count < count { try fill(until: deadline) }
        let data = Array(pending[..<count])
        pending.removeFirst(count)
        return data
    }

    private func fill(until deadline: Deadline) throws(GatewayError) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                pending += buffer[..<count]
                return
            }
            if count == 0 { throw GatewayError("the endpoint closed the connection") }
            guard errno == EAGAIN || errno == EINTR else { throw GatewayError("receive: \(String(cString: strerror(errno)))") }
            try wait(for: Int16(POLLIN), until: deadline, doing: "waiting for an answer")
        }
    }

    /// Polls the socket and the stop descriptor until the socket is ready or the deadline passes.
    private func wait(for events: Int16, until deadline: Deadline, doing what: String) throws(GatewayError) {
        while true {
            let remaining = deadline.remainingMilliseconds
            guard remaining > 0 else { throw GatewayError("timed out \(what)", timedOut: true) }
            var descriptors = [
                pollfd(fd: socketDescriptor, events: events, revents: 0),
                pollfd(fd: stopDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, Int32(min(remaining, 1000)))
            if ready < 0 && errno != EINTR { throw GatewayError("poll: \(String(cString: strerror(errno)))") }
            if descriptors[1].revents != 0 { throw GatewayError("stopping", stopped: true) }
            if descriptors[0].revents != 0 { return }
        }
    }
}

/// A point in time on the monotonic clock.
struct Deadline {
    let nanoseconds: UInt64

    init(after seconds: Double) {
        nanoseconds = Deadline.now() + UInt64(max(0, seconds) * 1e9)
    }

    var remainingMilliseconds: Int {
        let now = Deadline.now()
        return now >= nanoseconds ? 0 : Int((nanoseconds - now + 999_999) / 1_000_000)
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
