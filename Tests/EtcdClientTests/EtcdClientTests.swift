import Foundation
import Testing
import TestSupport

@testable import EtcdClient
@testable import HTTPClient

/// The etcd client against a real single-member etcd: keys, leases and the election's
/// transaction, watches and the ways they end (compaction, a hung member, a restart, cancellation),
/// and moving on from an endpoint that does not answer.
@Suite("etcd client", .serialized, .timeLimit(.minutes(5)))
struct EtcdClientTests {
    func client(_ etcd: EtcdServer, before extra: [String] = [], timeout: Duration = .seconds(3)) -> EtcdClient {
        EtcdClient(endpoints: (extra + [etcd.endpoint]).map { URL(string: $0)! }, requestTimeout: timeout)
    }

    @Test("put, get and delete report the store's revisions; a missing key reads as nil")
    func keys() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let client = client(etcd)
        let missing = try await client.get("/test/absent")
        #expect(missing.keyValue == nil)
        #expect(missing.revision >= 1)

        let written = try await client.put("/test/key", value: Array("one".utf8))
        let read = try await client.get("/test/key")
        #expect(read.keyValue?.text == "one")
        #expect(read.keyValue?.modRevision == written)
        #expect(read.revision == written)
        #expect(try await etcd.get("/test/key") == "one", "the write is what etcd holds")

        let empty = try await client.put("/test/key", value: [])
        #expect(try await client.get("/test/key").keyValue == EtcdKeyValue(
            key: "/test/key", value: [], modRevision: empty, createRevision: written, lease: 0), "an empty value is a value")

        let deleted = try await client.delete("/test/key")
        #expect(deleted > empty)
        #expect(try await client.get("/test/key").keyValue == nil)
    }

    @Test("the election's calls: a lease, create-if-absent once, keepalive, and revoke deleting the key")
    func leasesAndCreateIfAbsent() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let client = client(etcd)
        let lease = try await client.grantLease(ttl: .seconds(10))
        #expect(lease.ttl == .seconds(10))
        #expect(try await client.createIfAbsent("/test/leader", value: Array("a".utf8), lease: lease) == .created)

        let other = try await client.grantLease(ttl: .seconds(10))
        let second = try await client.createIfAbsent("/test/leader", value: Array("b".utf8), lease: other)
        guard case .exists(let holder) = second else { Issue.record("a second create won: \(second)"); return }
        #expect(holder?.text == "a")
        #expect(holder?.lease == lease.id)

        let renewed = try await client.keepAlive(lease)
        #expect(renewed > .zero && renewed <= .seconds(10))
        try await client.revoke(lease)
        #expect(try await client.get("/test/leader").keyValue == nil, "revoking the lease deleted its key")
        #expect(try await client.keepAlive(lease) == .zero, "a revoked lease renews to nothing")
        do {
            try await client.revoke(lease)
            Issue.record("revoking a revoked lease succeeded")
        } catch {
            #expect(error.kind == .refused, "etcd's no is an answer, not an outage: \(error)")
        }
    }

    @Test("a watch delivers puts and deletes after its start revision, in order")
    func watchDeliversChanges() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let client = client(etcd)
        let start = try await client.put("/test/watched", value: Array("before".utf8))
        let watch = try await client.watch("/test/watched", afterRevision: start, idleTimeout: .seconds(30))
        var iterator = watch.makeAsyncIterator()
        let first = try await etcd.put("/test/watched", "v1")
        try await etcd.put("/test/other", "ignored")
        let second = try await etcd.put("/test/watched", "v2")
        let gone = try await etcd.delete("/test/watched")
        var seen: [EtcdEvent] = []
        while seen.count < 3, let batch = try await iterator.next() { seen += batch }
        #expect(seen.count == 3)
        guard seen.count == 3 else { return }
        if case .put(let kv) = seen[0] { #expect(kv.text == "v1" && kv.modRevision == first) } else { Issue.record("\(seen[0])") }
        if case .put(let kv) = seen[1] { #expect(kv.text == "v2" && kv.modRevision == second) } else { Issue.record("\(seen[1])") }
        #expect(seen[2] == .delete(key: "/test/watched", modRevision: gone))
    }

    @Test("a watch from a compacted revision is cancelled by etcd with an error that says so")
    func watchFromCompactedRevision() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let client = client(etcd)
        let old = try await client.put("/test/compacted", value: Array("1".utf8))
        var latest = old
        for value in 2...5 { latest = try await client.put("/test/compacted", value: Array(String(value).utf8)) }
        _ = try await etcd.call("/v3/kv/compaction", ["revision": String(latest), "physical": true])
        let watch = try await client.watch("/test/compacted", afterRevision: old - 1, idleTimeout: .seconds(30))
        do {
            for try await batch in watch { Issue.record("events from a compacted revision: \(batch)") }
        } catch let error as EtcdError {
            #expect(error.kind == .watchCancelled, "\(error)")
            #expect(error.message.contains("compact"), "\(error)")
        }
    }

    @Test("a hung etcd (SIGSTOP) ends a watch at its idle timeout and a call at its request timeout")
    func hungEtcd() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let client = client(etcd, timeout: .seconds(2))
        let start = try await client.put("/test/hung", value: Array("x".utf8))
        // The idle time counts from the watch's last byte, which comes after this instant.
        let opening = ContinuousClock.now
        let watch = try await client.watch("/test/hung", afterRevision: start, idleTimeout: .seconds(2))
        etcd.pause()
        defer { etcd.resume() }
        let paused = ContinuousClock.now
        do {
            for try await batch in watch { Issue.record("events from a paused etcd: \(batch)") }
        } catch let error as EtcdError {
            #expect(error.kind == .timedOut, "\(error)")
        }
        #expect(ContinuousClock.now - opening >= .milliseconds(1900), "not before the idle timeout")
        var elapsed = ContinuousClock.now - paused
        #expect(elapsed < .seconds(15), "the 2 s idle timeout took \(elapsed)")

        let started = ContinuousClock.now
        do {
            _ = try await client.get("/test/hung")
            Issue.record("a read from a paused etcd answered")
        } catch {
            #expect(error.kind == .timedOut, "\(error)")
        }
        elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(15), "the 2 s request timeout took \(elapsed)")

        etcd.resume()
        #expect(try await client.get("/test/hung").keyValue?.text == "x", "the client carries on once etcd does")
    }

    @Test("a restart of etcd breaks the watch with an error; the client reaches it again afterwards")
    func restartedEtcd() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let client = client(etcd)
        let start = try await client.put("/test/restart", value: Array("x".utf8))
        let watch = try await client.watch("/test/restart", afterRevision: start, idleTimeout: .seconds(60))
        let reader = Task { () -> EtcdError? in
            do {
                for try await _ in watch {}
                return nil
            } catch {
                return error as? EtcdError
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        try await etcd.restart()
        let ended = await reader.value
        #expect(ended?.kind == .unreachable, "\(String(describing: ended))")
        #expect(try await client.get("/test/restart").keyValue?.text == "x")
    }

    @Test("cancelling the task reading a watch ends it at once as cancelled")
    func cancelledWatch() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let client = client(etcd)
        let reader = Task { () -> EtcdError? in
            do {
                let watch = try await client.watch("/test/cancel", afterRevision: 0, idleTimeout: .seconds(60))
                for try await _ in watch {}
                return nil
            } catch {
                return error as? EtcdError
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        let cancelled = ContinuousClock.now
        reader.cancel()
        let ended = await reader.value
        #expect(ContinuousClock.now - cancelled < .seconds(3))
        #expect(ended?.kind == .cancelled, "\(String(describing: ended))")
    }

    @Test("an endpoint that refuses connections is passed over; none answering is an outage")
    func failover() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let dead = "http://127.0.0.1:\(freeLoopbackPort())"
        let client = client(etcd, before: [dead])
        try await client.put("/test/failover", value: Array("y".utf8))
        #expect(try await client.get("/test/failover").keyValue?.text == "y")
        let watch = try await client.watch("/test/failover", afterRevision: 0, idleTimeout: .seconds(30))
        var iterator = watch.makeAsyncIterator()
        #expect(try await iterator.next()?.count == 1, "the watch opened on the live endpoint and replays from revision 1")

        let nobody = EtcdClient(endpoints: [URL(string: dead)!], requestTimeout: .seconds(3))
        do {
            _ = try await nobody.get("/test/failover")
            Issue.record("a dead endpoint answered")
        } catch {
            #expect(error.kind == .unreachable)
            #expect(error.message.contains(dead), "\(error)")
        }
    }
}

/// The fault proxy between the client and etcd: every kind of broken answer from one endpoint is
/// an outage of that endpoint (never etcd's "no"), and the next endpoint is asked.
@Suite("etcd client behind a faulty endpoint", .serialized, .timeLimit(.minutes(5)))
struct EtcdClientFaultTests {
    @Test("a broken answer is passed over to the next endpoint", arguments: ["html", "reset", "truncated", "empty", "malformed", "error503"])
    func brokenAnswers(fault: String) async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.discard() }
        let proxy = try await FaultProxy.start(upstream: URL(string: etcd.endpoint)!)
        defer { proxy.stop() }
        try await etcd.put("/test/faults", "held")
        let direct = EtcdClient(endpoints: [proxy.endpoint], requestTimeout: .seconds(3))
        #expect(try await direct.get("/test/faults").keyValue?.text == "held", "the proxy passes etcd's answers through")

        try await proxy.configure([fault: 1.0])
        do {
            let read = try await direct.get("/test/faults")
            Issue.record("a \(fault) answer was taken as \(read)")
        } catch {
            #expect(error.kind == .unreachable || error.kind == .malformed, "\(fault): \(error)")
            #expect(error.message.contains(proxy.endpoint.absoluteString) || error.kind == .malformed, "\(error)")
        }
        let both = EtcdClient(endpoints: [proxy.endpoint, URL(string: etcd.endpoint)!], requestTimeout: .seconds(3))
        #expect(try await both.get("/test/faults").keyValue?.text == "held", "\(fault): the next endpoint answered")
    }
}
