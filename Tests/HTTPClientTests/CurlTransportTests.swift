import Foundation
import Testing
import TestSupport

@testable import HTTPClient

/// The libcurl transport against a live loopback server: methods and bodies, connection reuse,
/// size limits, timeouts and cancellation. Time bounds are generous (a busy 2-core machine) but
/// far below what the server would take on its own, so a transfer that is not aborted fails them.
@Suite("HTTP client on libcurl", .serialized, .timeLimit(.minutes(3)))
struct CurlTransportTests {
    func withServer(_ body: (HTTPTestServer) async throws -> Void) async throws {
        let server = try await HTTPTestServer.start()
        defer { server.stop() }
        try await body(server)
    }

    @Test("GET, POST, PUT with an empty body and DELETE arrive as sent, headers included")
    func methodsAndBodies() async throws {
        try await withServer { server in
            let transport = CurlTransport(idleTimeout: .seconds(5), requestTimeout: .seconds(10))
            let hello = try await transport.send(HTTPRequest(method: "GET", url: server.url("/hello")))
            #expect(hello.status == 200)
            #expect(hello.bodyText == "hello")
            #expect(hello.headers["content-length"] == "5")

            struct Echo: Decodable { let method: String; let headers: [String: String]; let body: String }
            let payload = String(repeating: "Action=DescribeRouteTables&", count: 100)  // past curl's 1 KiB Expect threshold
            for (method, body) in [("POST", payload), ("PUT", ""), ("DELETE", ""), ("PATCH", "{}")] {
                let answer = try await transport.send(HTTPRequest(
                    method: method, url: server.url("/echo"), headers: [("X-Test", "yes"), ("Content-Type", "text/plain")], body: Array(body.utf8)))
                let echo = try JSONDecoder().decode(Echo.self, from: Data(answer.body))
                #expect(echo.method == method)
                #expect(echo.body == body)
                #expect(echo.headers["x-test"] == "yes")
                #expect(echo.headers["expect"] == nil, "no 100-continue round trip")
                if method != "DELETE" { #expect(echo.headers["content-length"] == String(body.utf8.count)) }
            }
        }
    }

    @Test("sequential requests to one server reuse one connection")
    func reusesConnections() async throws {
        try await withServer { server in
            let transport = CurlTransport(idleTimeout: .seconds(5), requestTimeout: .seconds(10))
            let before = try await server.stats()
            var serials: Set<String> = []
            for _ in 0..<6 {
                let answer = try await transport.send(HTTPRequest(method: "GET", url: server.url("/hello")))
                #expect(answer.status == 200)
                serials.insert(answer.headers["x-connection"] ?? "missing")
            }
            let after = try await server.stats()
            #expect(serials.count == 1, "every answer came over the same connection: \(serials)")
            #expect(after.connections - before.connections == 1)
            #expect(transport.statistics == .init(transfersFinished: 6, connectionsOpened: 1))
        }
    }

    @Test("an answer over the size limit is refused with an error naming the limit", arguments: [false, true])
    func refusesOversizedBodies(chunked: Bool) async throws {
        try await withServer { server in
            let transport = CurlTransport(configuration: .init(maxResponseBytes: 100_000))
            let query = chunked ? "&chunked=1" : ""
            let atLimit = try await transport.send(HTTPRequest(method: "GET", url: server.url("/bytes?n=100000\(query)")))
            #expect(atLimit.body.count == 100_000)

            for (size, limit) in [(100_001, nil), (5_000_000, nil), (2_000, 1_999)] as [(Int, Int?)] {
                do {
                    let answer = try await transport.send(HTTPRequest(method: "GET", url: server.url("/bytes?n=\(size)\(query)"), maxResponseBytes: limit))
                    Issue.record("a \(size)-byte answer was accepted (\(answer.body.count) bytes)")
                } catch let error as TransportError {
                    #expect(error.code == .responseTooLarge)
                    #expect(error.reason == "the answer is larger than the limit of \(limit ?? 100_000) bytes")
                }
            }
            // The transport carries on.
            #expect(try await transport.send(HTTPRequest(method: "GET", url: server.url("/hello"))).status == 200)
        }
    }

    @Test("a request that gets no answer ends at its own timeout, and the transport carries on")
    func timesOutPerRequest() async throws {
        try await withServer { server in
            let transport = CurlTransport(idleTimeout: .seconds(30), requestTimeout: .seconds(60))
            let started = ContinuousClock.now
            do {
                _ = try await transport.send(HTTPRequest(method: "GET", url: server.url("/stall"), timeout: .seconds(1)))
                Issue.record("a stalled request returned")
            } catch let error as TransportError {
                #expect(error.code == .timedOut, "\(error)")
                #expect(error.timedOut)
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(900))
            #expect(elapsed < .seconds(10), "the 1 s timeout took \(elapsed)")
            // The server sees the stalled connection closed.
            let settled = try await server.waitForStats { $0.openTransfers == 0 }
            #expect(settled.openTransfers == 0)
            #expect(try await transport.send(HTTPRequest(method: "GET", url: server.url("/hello"))).status == 200)
        }
    }

    @Test("a connection that goes silent ends at the idle timeout, well before the request timeout")
    func idleTimeout() async throws {
        try await withServer { server in
            let transport = CurlTransport(idleTimeout: .seconds(1), requestTimeout: .seconds(60))
            let started = ContinuousClock.now
            await #expect(throws: TransportError.self) {
                _ = try await transport.send(HTTPRequest(method: "GET", url: server.url("/stall")))
            }
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test("cancelling the calling task aborts a transfer in the middle of its body")
    func cancellationAbortsTransfer() async throws {
        try await withServer { server in
            let transport = CurlTransport(idleTimeout: .seconds(30), requestTimeout: .seconds(120))
            let request = Task {
                try await transport.send(HTTPRequest(method: "GET", url: server.url("/trickle?seconds=60")))
            }
            // Wait until the server is writing the body, so the cancel lands mid-transfer.
            let streaming = try await server.waitForStats { $0.openTransfers == 1 }
            #expect(streaming.openTransfers == 1)
            let cancelled = ContinuousClock.now
            request.cancel()
            let result = await request.result
            let elapsed = ContinuousClock.now - cancelled
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(elapsed < .seconds(3), "cancellation took \(elapsed)")
            // The connection is closed, not left to trickle on: the server stops writing.
            let settled = try await server.waitForStats { $0.openTransfers == 0 }
            #expect(settled.openTransfers == 0)
            #expect(transport.statistics.transfersFinished == 1)
        }
    }

    @Test("a task cancelled before sending sends nothing")
    func cancelledBeforeSending() async throws {
        try await withServer { server in
            let transport = CurlTransport()
            let before = try await server.stats()
            let request = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await transport.send(HTTPRequest(method: "GET", url: server.url("/hello")))
            }
            await #expect(throws: CancellationError.self) { try await request.value }
            let after = try await server.stats()
            #expect(after.requests == before.requests + 1, "only the stats call itself arrived")
        }
    }

    @Test("many concurrent transfers share the loop and a bounded set of connections")
    func concurrentTransfers() async throws {
        try await withServer { server in
            let transport = CurlTransport(idleTimeout: .seconds(10), requestTimeout: .seconds(30))
            let before = try await server.stats()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let path = index.isMultiple(of: 2) ? "/hello" : "/bytes?n=\(index * 1000)"
                        return try await transport.send(HTTPRequest(method: "GET", url: server.url(path))).status
                    }
                }
                for try await status in group { #expect(status == 200) }
            }
            #expect(transport.statistics.transfersFinished == 40)
            // At most 8 connections per host (the default), each reused for the rest.
            #expect(transport.statistics.connectionsOpened <= 8)
            let after = try await server.stats()
            #expect(after.connections - before.connections <= 8)
        }
    }

    @Test("a refused connection is a connection error, at once")
    func refusedConnection() async throws {
        let port = freeLoopbackPort()
        let transport = CurlTransport(idleTimeout: .seconds(5), requestTimeout: .seconds(10))
        let started = ContinuousClock.now
        do {
            _ = try await transport.send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(port)/")!))
            Issue.record("nothing listens there")
        } catch let error as TransportError {
            #expect(error.code == .connection, "\(error)")
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("the loop thread and its multi handle go away with the transport")
    func loopEndsWithTransport() async throws {
        try await withServer { server in
            weak var loop: CurlMultiLoop?
            do {
                let transport = CurlTransport()
                loop = transport.loop
                _ = try await transport.send(HTTPRequest(method: "GET", url: server.url("/hello")))
                #expect(loop != nil)
            }
            // The thread holds the loop until it has cleaned up and exited.
            let deadline = ContinuousClock.now + .seconds(10)
            while loop != nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(loop == nil)
        }
    }

    @Test("a header with a line break is refused before anything is sent")
    func headerInjection() async throws {
        let transport = CurlTransport()
        do {
            _ = try await transport.send(HTTPRequest(
                method: "GET", url: URL(string: "http://127.0.0.1:9/")!, headers: [("X-Bad", "a\r\nHost: elsewhere")]))
            Issue.record("a header with CRLF was sent")
        } catch let error as TransportError {
            #expect(error.code == .invalidRequest)
        }
    }
}
