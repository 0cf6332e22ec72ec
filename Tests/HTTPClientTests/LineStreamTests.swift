import Foundation
import Testing
import TestSupport

@testable import HTTPClient

/// Streamed answers read line by line while the server still sends them (an etcd watch's shape):
/// lines before the end, the idle timeout, the line limit, resets and cancellation.
@Suite("HTTP client streaming", .serialized, .timeLimit(.minutes(3)))
struct LineStreamTests {
    func withServer(_ body: (HTTPTestServer, CurlTransport) async throws -> Void) async throws {
        let server = try await HTTPTestServer.start()
        defer { server.stop() }
        try await body(server, CurlTransport(idleTimeout: .seconds(5), requestTimeout: .seconds(10)))
    }

    func text(_ line: [UInt8]) -> String { String(decoding: line, as: UTF8.self) }

    @Test("every line arrives, LF or CRLF ended, and the stream ends with the answer", arguments: [false, true])
    func wholeStream(crlf: Bool) async throws {
        try await withServer { server, transport in
            let stream = try await transport.streamLines(
                HTTPRequest(method: "GET", url: server.url("/lines?n=5&interval=0.05&crlf=\(crlf ? 1 : 0)")),
                limits: .init(idleTimeout: .seconds(10)))
            #expect(stream.status == 200)
            #expect(stream.headers["content-type"] == "application/json")
            var lines: [String] = []
            for try await line in stream.lines { lines.append(text(line)) }
            #expect(lines == (0..<5).map { "line \($0)" })
            // The connection went back to the cache: the next request reuses it.
            #expect(try await transport.send(HTTPRequest(method: "GET", url: server.url("/hello"))).status == 200)
            #expect(transport.statistics.connectionsOpened == 1)
        }
    }

    @Test("lines arrive while the answer is still open, and stopping the reader closes the connection")
    func linesBeforeTheEnd() async throws {
        try await withServer { server, transport in
            let stream = try await transport.streamLines(
                HTTPRequest(method: "GET", url: server.url("/lines?n=2&then=hold")), limits: .init(idleTimeout: .seconds(30)))
            var lines: [String] = []
            for try await line in stream.lines {
                lines.append(text(line))
                if lines.count == 2 { break }
            }
            #expect(lines == ["line 0", "line 1"])
            #expect(try await server.waitForStats { $0.openTransfers == 1 }.openTransfers == 1, "the server still holds the answer")
            _ = consume stream
            let settled = try await server.waitForStats { $0.openTransfers == 0 }
            #expect(settled.openTransfers == 0, "leaving the loop and dropping the stream closed the connection")
        }
    }

    @Test("a stream that goes silent ends with a timeout after its idle time, not before")
    func idleTimeout() async throws {
        try await withServer { server, transport in
            let started = ContinuousClock.now
            let stream = try await transport.streamLines(
                HTTPRequest(method: "GET", url: server.url("/lines?n=1&then=hold")), limits: .init(idleTimeout: .seconds(1)))
            var lines = 0
            do {
                for try await _ in stream.lines { lines += 1 }
                Issue.record("a held stream ended without an error")
            } catch let error as TransportError {
                #expect(error.code == .timedOut, "\(error)")
            }
            let elapsed = ContinuousClock.now - started
            #expect(lines == 1)
            #expect(elapsed >= .milliseconds(900))
            #expect(elapsed < .seconds(10), "the 1 s idle timeout took \(elapsed)")
        }
    }

    @Test("a stream that keeps talking outlives the transport's request timeout")
    func noOverallTimeout() async throws {
        let server = try await HTTPTestServer.start()
        defer { server.stop() }
        let transport = CurlTransport(idleTimeout: .seconds(1), requestTimeout: .seconds(1))
        let stream = try await transport.streamLines(
            HTTPRequest(method: "GET", url: server.url("/lines?n=12&interval=0.25")), limits: .init(idleTimeout: .seconds(2)))
        var count = 0
        for try await _ in stream.lines { count += 1 }
        #expect(count == 12)
    }

    @Test("a line over the limit ends the stream with an error naming the limit")
    func lineTooLong() async throws {
        try await withServer { server, transport in
            let stream = try await transport.streamLines(
                HTTPRequest(method: "GET", url: server.url("/lines?n=3&size=200000&then=hold")),
                limits: .init(idleTimeout: .seconds(30), maxLineBytes: 100_000))
            do {
                for try await _ in stream.lines { Issue.record("a line over the limit was delivered") }
                Issue.record("the stream ended without an error")
            } catch let error as TransportError {
                #expect(error.code == .responseTooLarge)
                #expect(error.reason == "a line of the stream is longer than the limit of 100000 bytes")
            }
            #expect(try await server.waitForStats { $0.openTransfers == 0 }.openTransfers == 0)
        }
    }

    @Test("a reader that falls a whole buffer behind gets the lines held, then an error, not an unbounded backlog")
    func slowReader() async throws {
        try await withServer { server, transport in
            let stream = try await transport.streamLines(
                HTTPRequest(method: "GET", url: server.url("/lines?n=200&then=hold")),
                limits: .init(idleTimeout: .seconds(30), maxBufferedLines: 4))
            #expect(try await server.waitForStats { $0.openTransfers == 0 }.openTransfers == 0, "the transfer was ended unread")
            var delivered = 0
            do {
                for try await _ in stream.lines { delivered += 1 }
                Issue.record("the stream ended without an error")
            } catch let error as TransportError {
                #expect(error.code == .responseTooLarge)
                #expect(error.reason == "the reader fell more than a buffer of lines behind the stream")
            }
            #expect(delivered == 4, "the buffered lines come first")
        }
    }

    @Test("a reset in the middle of the stream is a connection error after the lines before it")
    func resetMidStream() async throws {
        try await withServer { server, transport in
            let stream = try await transport.streamLines(
                HTTPRequest(method: "GET", url: server.url("/lines?n=3&interval=0.05&then=reset")), limits: .init(idleTimeout: .seconds(30)))
            var lines: [String] = []
            do {
                for try await line in stream.lines { lines.append(text(line)) }
                Issue.record("a reset stream ended cleanly")
            } catch let error as TransportError {
                #expect(error.code == .connection, "\(error)")
            }
            #expect(lines == ["line 0", "line 1", "line 2"])
        }
    }

    @Test("cancelling the reading task ends the stream at once and closes the connection")
    func cancellation() async throws {
        try await withServer { server, transport in
            let reader = Task {
                let stream = try await transport.streamLines(
                    HTTPRequest(method: "GET", url: server.url("/lines?n=1&then=hold")), limits: .init(idleTimeout: .seconds(60)))
                var count = 0
                for try await _ in stream.lines { count += 1 }
                return count
            }
            #expect(try await server.waitForStats { $0.openTransfers == 1 }.openTransfers == 1)
            try await Task.sleep(for: .milliseconds(200))
            let cancelled = ContinuousClock.now
            reader.cancel()
            let result = await reader.result
            #expect(ContinuousClock.now - cancelled < .seconds(3))
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(try await server.waitForStats { $0.openTransfers == 0 }.openTransfers == 0)
        }
    }

    @Test("an error status comes with its body as lines; a refused connection throws before any head")
    func errorsBeforeTheBody() async throws {
        try await withServer { server, transport in
            let missing = try await transport.streamLines(
                HTTPRequest(method: "GET", url: server.url("/nowhere")), limits: .init(idleTimeout: .seconds(10)))
            #expect(missing.status == 404)
            var body: [String] = []
            for try await line in missing.lines { body.append(text(line)) }
            #expect(body == ["not found"])
        }
        let port = freeLoopbackPort()
        let transport = CurlTransport(idleTimeout: .seconds(5), requestTimeout: .seconds(10))
        await #expect(throws: TransportError.self) {
            _ = try await transport.streamLines(
                HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(port)/")!), limits: .init(idleTimeout: .seconds(5)))
        }
    }
}
