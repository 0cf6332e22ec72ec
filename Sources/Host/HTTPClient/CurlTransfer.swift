import CCurl
import FoundationEssentials
import Synchronization

/// One request on its way through the multi loop: the easy handle, what has arrived so far and the
/// caller waiting for it. Created by the caller; after `submit` only the loop thread touches it,
/// except `cancelRequested`, which the caller's cancellation handler sets.
final class CurlTransfer: @unchecked Sendable {
    struct Limits: Sendable {
        var timeout: Duration
        var connectTimeout: Duration
        var idleTimeout: Duration
        var maxResponseBytes: Int
    }

    /// Where a streamed answer goes: its head once the headers are in, then its body line by line.
    final class LineDelivery {
        let idleTimeout: Duration
        let maxLineBytes: Int
        var head: CheckedContinuation<(status: Int, headers: [String: String]), any Error>?
        var lines: AsyncThrowingStream<[UInt8], any Error>.Continuation?
        var partialLine: [UInt8] = []
        var lastActivity = ContinuousClock.now
        /// Why the transfer was ended from the body callback, when it was.
        var abortReason: TransportError?

        init(idleTimeout: Duration, maxLineBytes: Int) {
            self.idleTimeout = idleTimeout
            self.maxLineBytes = maxLineBytes
        }
    }

    let request: HTTPRequest
    let limits: Limits
    let cancelRequested = Atomic<Bool>(false)

    // Set by the caller before the transfer is submitted, then owned by the loop thread.
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    /// Set instead of `continuation` for a streamed answer.
    var lineDelivery: LineDelivery?

    // Loop thread only.
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var body: [UInt8] = []
    private var headers: [String: String] = [:]
    private var bodyTooLarge = false

    init(request: HTTPRequest, limits: Limits) {
        self.request = request
        self.limits = limits
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        releaseHandle()
        errorBuffer.deallocate()
    }

    var url: String { request.url.absoluteString }

    /// Builds the easy handle for the request; the transfer must stay alive while curl holds it
    /// (the callbacks reach it through an unretained pointer).
    func makeHandle() throws(TransportError) -> UnsafeMutableRawPointer {
        guard let handle = curl_easy_init() else {
            throw TransportError(code: .unavailable, url: url, reason: "libcurl could not create a transfer")
        }
        easy = handle
        let context = Unmanaged.passUnretained(self).toOpaque()
        var failed: CURLcode = CURLE_OK
        func set(_ code: CURLcode) { if failed == CURLE_OK { failed = code } }

        set(vpcr_curl_set_string(handle, CURLOPT_URL, url))
        set(vpcr_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        // No signal handlers or alarms: those are process-wide state (the loop thread blocks SIGPIPE instead).
        set(vpcr_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        set(vpcr_curl_set_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)))
        set(vpcr_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(min(limits.connectTimeout, limits.timeout))))
        if lineDelivery == nil {
            set(vpcr_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(limits.timeout)))
            // Idle: fewer than 1 byte per second for this many (whole) seconds ends the transfer.
            set(vpcr_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1))
            set(vpcr_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(limits.idleTimeout.components.seconds))))
        }
        // A stream has no overall limit: it ends on silence longer than its idle timeout (`isIdle`).
        // Refused at once when the answer announces a larger Content-Length; counted in `receive` otherwise.
        if lineDelivery == nil {
            set(vpcr_curl_set_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.maxResponseBytes)))
        }
        set(vpcr_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        set(vpcr_curl_set_data_callback(handle, CURLOPT_WRITEFUNCTION, curlBodyCallback))
        set(vpcr_curl_set_pointer(handle, CURLOPT_WRITEDATA, context))
        set(vpcr_curl_set_data_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        set(vpcr_curl_set_pointer(handle, CURLOPT_HEADERDATA, context))

        // "Expect:" stops curl from waiting for a 100 Continue before larger bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            // By bytes: "\r\n" is one Character, so a Character search would miss it.
            guard !line.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 }) else {
                throw TransportError(code: .invalidRequest, url: url, reason: "a header contains a line break or NUL")
            }
            guard let list = curl_slist_append(headerList, line) else {
                throw TransportError(code: .unavailable, url: url, reason: "libcurl could not store a header")
            }
            headerList = list
        }
        set(vpcr_curl_set_list(handle, CURLOPT_HTTPHEADER, headerList))

        switch request.method {
        case "GET" where request.body.isEmpty:
            set(vpcr_curl_set_long(handle, CURLOPT_HTTPGET, 1))
        case "HEAD":
            set(vpcr_curl_set_long(handle, CURLOPT_NOBODY, 1))
        case "DELETE" where request.body.isEmpty:
            set(vpcr_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, "DELETE"))
        default:
            guard !request.method.isEmpty, request.method.allSatisfy({ $0.isLetter && $0.isASCII }) else {
                throw TransportError(code: .invalidRequest, url: url, reason: "\"\(request.method)\" is not an HTTP method")
            }
            if request.method != "POST" { set(vpcr_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)) }
            // The size first, then the bytes, which curl copies.
            set(vpcr_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            if request.body.isEmpty {
                set(vpcr_curl_set_string(handle, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                request.body.withUnsafeBytes { bytes in
                    set(vpcr_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress)))
                }
            }
        }
        guard failed == CURLE_OK else {
            throw TransportError(code: .invalidRequest, url: url, reason: "libcurl refused an option: \(Self.describe(failed))")
        }
        return handle
    }

    /// Body bytes from curl; returning less than offered makes curl end the transfer.
    fileprivate func receive(_ bytes: UnsafeRawBufferPointer) -> Int {
        if let lineDelivery { return deliverLines(bytes, to: lineDelivery) }
        guard body.count + bytes.count <= limits.maxResponseBytes else {
            bodyTooLarge = true
            return 0
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    /// Splits streamed body bytes into lines (LF, an optional CR before it dropped) for the reader.
    /// A line over the limit, or a reader that has fallen a whole buffer behind, ends the transfer.
    private func deliverLines(_ bytes: UnsafeRawBufferPointer, to delivery: LineDelivery) -> Int {
        delivery.lastActivity = .now
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            delivery.partialLine.append(contentsOf: bytes[start..<index])
            start = index + 1
            if delivery.partialLine.last == UInt8(ascii: "\r") { delivery.partialLine.removeLast() }
            guard delivery.partialLine.count <= delivery.maxLineBytes else { return abortLines(delivery, lineTooLong: true) }
            let line = delivery.partialLine
            delivery.partialLine.removeAll(keepingCapacity: true)
            switch delivery.lines?.yield(line) {
            case .enqueued: continue
            case .dropped:
                delivery.abortReason = TransportError(
                    code: .responseTooLarge, url: url, reason: "the reader fell more than a buffer of lines behind the stream")
                return 0
            default:
                return 0  // the reader is gone; cancellation follows
            }
        }
        delivery.partialLine.append(contentsOf: bytes[start...])
        if delivery.partialLine.count > delivery.maxLineBytes { return abortLines(delivery, lineTooLong: true) }
        return bytes.count
    }

    private func abortLines(_ delivery: LineDelivery, lineTooLong: Bool) -> Int {
        delivery.abortReason = TransportError(
            code: .responseTooLarge, url: url, reason: "a line of the stream is longer than the limit of \(delivery.maxLineBytes) bytes")
        return 0
    }

    /// When a streamed answer counts as silent for too long, unless a byte arrives before; nil for a whole answer.
    var idleDeadline: ContinuousClock.Instant? {
        lineDelivery.map { $0.lastActivity + $0.idleTimeout }
    }

    /// One header line from curl, CRLF included. A status line starts a new header block (an
    /// interim 1xx answer or a proxy's CONNECT answer comes before the real one).
    fileprivate func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        let line = String(decoding: bytes, as: UTF8.self)
        lineDelivery?.lastActivity = .now
        if line == "\r\n" || line == "\n", let lineDelivery, let easy {
            // The end of a header block: a final answer's head goes to the reader now.
            var status = 0
            _ = vpcr_curl_get_long(easy, CURLINFO_RESPONSE_CODE, &status)
            if status >= 200, let head = lineDelivery.head {
                lineDelivery.head = nil
                head.resume(returning: (status, headers))
            }
        } else if line.hasPrefix("HTTP/") {
            headers.removeAll()
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            if let previous = headers[name] { headers[name] = previous + ", " + value } else { headers[name] = value }
        }
        return bytes.count
    }

    /// How the finished transfer ended, read from the handle before it is released.
    func outcome(_ code: CURLcode) -> Result<HTTPResponse, TransportError> {
        if let abortReason = lineDelivery?.abortReason { return .failure(abortReason) }
        if bodyTooLarge || code == CURLE_FILESIZE_EXCEEDED {
            return .failure(TransportError(
                code: .responseTooLarge, url: url, reason: "the answer is larger than the limit of \(limits.maxResponseBytes) bytes"))
        }
        guard code == CURLE_OK, let easy else {
            let detail = String(cString: errorBuffer)
            let reason = detail.isEmpty ? Self.describe(code) : "\(detail) (curl error \(code.rawValue))"
            return .failure(TransportError(code: code == CURLE_OPERATION_TIMEDOUT ? .timedOut : .connection, url: url, reason: reason))
        }
        var status = 0
        _ = vpcr_curl_get_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: headers, body: body))
    }

    /// New connections this transfer opened (0 when it reused one from the cache).
    var connectionsOpened: Int {
        guard let easy else { return 0 }
        var count = 0
        _ = vpcr_curl_get_long(easy, CURLINFO_NUM_CONNECTS, &count)
        return count
    }

    /// Hands the result to the waiting caller, once.
    func finish(_ result: Result<HTTPResponse, any Error>) {
        releaseHandle()
        if let lineDelivery {
            self.lineDelivery = nil
            switch result {
            case .success(let response):
                lineDelivery.head?.resume(returning: (response.status, response.headers.isEmpty ? headers : response.headers))
                if !lineDelivery.partialLine.isEmpty { lineDelivery.lines?.yield(lineDelivery.partialLine) }
                lineDelivery.lines?.finish()
            case .failure(let error):
                lineDelivery.head?.resume(throwing: error)
                lineDelivery.lines?.finish(throwing: error)
            }
            lineDelivery.head = nil
            lineDelivery.lines = nil
            return
        }
        let waiting = continuation
        continuation = nil
        waiting?.resume(with: result)
    }

    /// Frees the easy handle and header list; the multi handle must no longer hold the handle.
    private func releaseHandle() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let parts = duration.components
        let total = Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
        return Int(min(max(total.rounded(.up), 1), Double(Int32.max)))
    }

    static func describe(_ code: CURLcode) -> String {
        "\(curl_easy_strerror(code).map { String(cString: $0) } ?? "unknown error") (curl error \(code.rawValue))"
    }
}

private let curlBodyCallback: curl_write_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receive(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let curlHeaderCallback: curl_write_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}
