import FoundationEssentials
import HTTPClient

/// The changes to a watched key, a batch per etcd message, read from the gateway's stream. It
/// never ends quietly: every way a watch stops is an `EtcdError` (see `EtcdClient.watch`).
public struct EtcdWatch: AsyncSequence, Sendable {
    public typealias Element = [EtcdEvent]
    let stream: HTTPLineStream

    public struct AsyncIterator: AsyncIteratorProtocol {
        var lines: HTTPLines.AsyncIterator
        /// Keeps the transport alive while the watch is read.
        let stream: HTTPLineStream

        public mutating func next() async throws -> [EtcdEvent]? {
            while true {
                let line: [UInt8]?
                do {
                    line = try await lines.next()
                } catch is CancellationError {
                    throw EtcdError(.cancelled, "the watch was cancelled")
                } catch let error as TransportError {
                    throw EtcdError(error.code == .timedOut ? .timedOut : .unreachable, "the watch stream failed: \(error.reason)")
                }
                guard let line else { throw EtcdError(.unreachable, "the watch stream ended") }
                if line.isEmpty { continue }
                guard let message = try? JSONDecoder().decode(GatewayJSON.WatchMessage.self, from: Data(line)) else {
                    throw EtcdError(.malformed, "unreadable watch message: \(String(decoding: line.prefix(200), as: UTF8.self))")
                }
                // The gateway's own stream to etcd broke (a restart, a leader change): another try may work.
                if let error = message.error { throw EtcdError(.unreachable, "watch failed: \(error.message ?? "no reason given")") }
                guard let result = message.result else { continue }
                if result.canceled == true {
                    let reason = result.cancel_reason.flatMap { $0.isEmpty ? nil : $0 }
                        ?? "compacted to \(result.compact_revision.map { String($0.value) } ?? "?")"
                    throw EtcdError(.watchCancelled, "watch cancelled by etcd: \(reason)")
                }
                let events = try (result.events ?? []).map { event throws(EtcdError) -> EtcdEvent in
                    let keyValue = try (event.kv ?? GatewayJSON.KeyValue(key: nil, value: nil, mod_revision: nil, create_revision: nil, lease: nil)).decoded()
                    return event.type == "DELETE" ? .delete(key: keyValue.key, modRevision: keyValue.modRevision) : .put(keyValue)
                }
                if !events.isEmpty { return events }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(lines: stream.lines.makeAsyncIterator(), stream: stream) }
}
