import EC2
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Plain-HTTP requests over SwiftNIO, one connection per request, for etcd's JSON gateway.
/// Leader election sends a request every fraction of a second and must survive being paused
/// (SIGSTOP) mid-request; URLSession on Linux can crash when a timed-out transfer completes after
/// such a pause, so election traffic does not go through it. The deadline closes the channel.
struct NIOHTTPTransport: HTTPTransport {
    let timeout: Duration

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let host = request.url.host, request.url.scheme == "http" else {
            throw TransportError(url: request.url.absoluteString, reason: "only http:// URLs are supported")
        }
        let port = request.url.port ?? 80
        let limit = request.timeout ?? timeout
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: HTTPResponse.self)
        let url = request.url.absoluteString
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(limit.nanosecondsForNIO))
                .channelInitializer { channel in
                    channel.pipeline.addHTTPClientHandlers().flatMap {
                        channel.pipeline.addHandler(ResponseCollector(promise: promise, url: url))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw TransportError(url: url, reason: "\(error)")
        }
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(limit.nanosecondsForNIO)) {
            promise.fail(TransportError(url: url, reason: "timed out after \(limit)", timedOut: true))
            channel.close(promise: nil)
        }
        var path = request.url.path.isEmpty ? "/" : request.url.path
        if let query = request.url.query { path += "?" + query }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Length", value: "\(request.body.count)")
        head.headers.add(name: "Connection", value: "close")
        for header in request.headers { head.headers.add(name: header.name, value: header.value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: request.body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Collects one response; fails the promise if the connection ends first.
private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPResponse>
    private let url: String
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<HTTPResponse>, url: String) {
        self.promise = promise
        self.url = url
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            promise.succeed(HTTPResponse(status: Int(head.status.code), headers: headers, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TransportError(url: url, reason: "the connection closed before a complete answer"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(TransportError(url: url, reason: "\(error)"))
        context.close(promise: nil)
    }
}

extension Duration {
    /// Nanoseconds for NIO's TimeAmount, clamped.
    var nanosecondsForNIO: Int64 { max(1, nanosecondsClamped) }
}
