import CCurl
import Glibc
import Synchronization

/// One libcurl multi handle and the thread that drives it: every transfer of a transport runs
/// here, so no blocking C call ever sits on the Swift cooperative pool, and finished connections
/// stay in this handle's cache for the next request to the same host.
///
/// Callers talk to the thread through `inbox` (a queue plus `curl_multi_wakeup`); everything else
/// is touched by the loop thread alone.
final class CurlMultiLoop: @unchecked Sendable {
    struct Statistics: Sendable, Equatable {
        /// Transfers that reached an end (answer, error or cancellation).
        var transfersFinished = 0
        /// New connections made; fewer than transfers means connections were reused.
        var connectionsOpened = 0
    }

    private enum Command {
        case start(CurlTransfer)
        case cancel(CurlTransfer)
    }

    private struct Inbox {
        var commands: [Command] = []
        var stopRequested = false
        /// Set by the loop thread as it exits; from then on the multi handle is gone.
        var stopped = false
        /// Why the loop never started.
        var failure: String?
    }

    private let multi: UnsafeMutableRawPointer?
    private let inbox: Mutex<Inbox>
    private let counters = Mutex(Statistics())

    // Loop thread only: the transfers curl holds, by easy handle.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(maxCachedConnections: Int, maxConnectionsPerHost: Int) {
        var failure: String?
        if CurlLibrary.initialization != CURLE_OK {
            failure = "libcurl did not initialise: \(CurlTransfer.describe(CurlLibrary.initialization))"
            multi = nil
        } else {
            multi = curl_multi_init()
            if multi == nil { failure = "libcurl could not create a multi handle" }
        }
        inbox = Mutex(Inbox(stopped: failure != nil, failure: failure))
        guard let multi else { return }
        _ = vpcr_curl_multi_set_long(multi, CURLMOPT_MAXCONNECTS, max(1, maxCachedConnections))
        _ = vpcr_curl_multi_set_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, maxConnectionsPerHost))
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<CurlMultiLoop>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, retained)
        guard created == 0 else {
            Unmanaged<CurlMultiLoop>.fromOpaque(retained).release()
            curl_multi_cleanup(multi)
            inbox.withLock { $0 = Inbox(stopped: true, failure: "could not start the HTTP thread: error \(created)") }
            return
        }
        pthread_detach(thread)
    }

    /// Why the loop is not running, or nil while it is.
    var unavailableReason: String? {
        inbox.withLock { inbox in
            if let failure = inbox.failure { return failure }
            return inbox.stopped || inbox.stopRequested ? "the HTTP client was shut down" : nil
        }
    }

    var statistics: Statistics { counters.withLock { $0 } }

    /// Hands a transfer to the loop; false when the loop is not running.
    func submit(_ transfer: CurlTransfer) -> Bool {
        post(.start(transfer))
    }

    /// Asks the loop to abort the transfer; safe at any time, before or after it started or ended.
    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelRequested.store(true, ordering: .sequentiallyConsistent)
        _ = post(.cancel(transfer))
    }

    /// Ends the thread once it has failed every transfer still open.
    func stop() {
        inbox.withLock { inbox in
            guard !inbox.stopped else { return }
            inbox.stopRequested = true
            if let multi { curl_multi_wakeup(multi) }
        }
    }

    private func post(_ command: Command) -> Bool {
        inbox.withLock { inbox in
            // The wake-up happens under the lock, so the loop cannot free the handle in between.
            guard !inbox.stopped, !inbox.stopRequested, let multi else { return false }
            inbox.commands.append(command)
            curl_multi_wakeup(multi)
            return true
        }
    }

    // MARK: The loop thread

    private func run() {
        guard let multi else { return }
        Self.prepareThread()
        var stillRunning: Int32 = 0
        while true {
            let (commands, stopping) = inbox.withLock { inbox in
                defer { inbox.commands.removeAll() }
                return (inbox.commands, inbox.stopRequested)
            }
            if stopping { break }
            for command in commands { handle(command, multi: multi) }
            _ = curl_multi_perform(multi, &stillRunning)
            collectFinished(multi: multi)
            let nextIdleCheck = endIdleStreams(multi: multi)
            // Returns when a socket is ready, curl's next timeout is due, a wake-up arrives, a
            // stream may have gone idle, or after 1 s.
            _ = curl_multi_poll(multi, nil, 0, Int32(nextIdleCheck), nil)
        }
        let leftover = inbox.withLock { inbox in
            inbox.stopped = true
            return inbox.commands
        }
        let unavailable = { (transfer: CurlTransfer) in
            TransportError(code: .unavailable, url: transfer.url, reason: "the HTTP client was shut down")
        }
        for case .start(let transfer) in leftover { transfer.finish(.failure(unavailable(transfer))) }
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            transfer.finish(.failure(unavailable(transfer)))
        }
        active.removeAll()
        curl_multi_cleanup(multi)
    }

    private func handle(_ command: Command, multi: UnsafeMutableRawPointer) {
        switch command {
        case .start(let transfer):
            if transfer.cancelRequested.load(ordering: .sequentiallyConsistent) {
                finish(transfer, .failure(CancellationError()))
                return
            }
            do {
                let easy = try transfer.makeHandle()
                let added = curl_multi_add_handle(multi, easy)
                guard added == CURLM_OK else {
                    let reason = String(cString: curl_multi_strerror(added))
                    throw TransportError(code: .unavailable, url: transfer.url, reason: "libcurl could not start the transfer: \(reason)")
                }
                active[easy] = transfer
            } catch {
                finish(transfer, .failure(error))
            }
        case .cancel(let transfer):
            // Not started yet: `.start` sees the flag. Already finished: nothing to do.
            guard let easy = transfer.easy, active[easy] === transfer else { return }
            curl_multi_remove_handle(multi, easy)
            active[easy] = nil
            finish(transfer, .failure(CancellationError()))
        }
    }

    private func collectFinished(multi: UnsafeMutableRawPointer) {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            // The message dies with remove_handle: read it first.
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            guard let transfer = active.removeValue(forKey: easy) else { continue }
            let opened = transfer.connectionsOpened
            counters.withLock { $0.connectionsOpened += opened }
            finish(transfer, transfer.outcome(code).mapError { $0 })
        }
    }

    /// Streams have no overall deadline; one that has been silent too long is ended as timed out.
    /// Returns the milliseconds until the next stream could go idle (at most 1000).
    private func endIdleStreams(multi: UnsafeMutableRawPointer) -> Int {
        let now = ContinuousClock.now
        var nextCheck: Duration = .seconds(1)
        for (easy, transfer) in active {
            guard let idleAt = transfer.idleDeadline else { continue }
            if now > idleAt {
                curl_multi_remove_handle(multi, easy)
                active[easy] = nil
                finish(transfer, .failure(TransportError(
                    code: .timedOut, url: transfer.url, reason: "the stream was silent for longer than its idle timeout")))
            } else {
                nextCheck = min(nextCheck, idleAt - now)
            }
        }
        return CurlTransfer.milliseconds(nextCheck) + 1
    }

    private func finish(_ transfer: CurlTransfer, _ result: Result<HTTPResponse, any Error>) {
        counters.withLock { $0.transfersFinished += 1 }
        transfer.finish(result)
    }

    /// A broken connection must not kill the process with SIGPIPE: OpenSSL writes to sockets
    /// without MSG_NOSIGNAL. Blocking it on this thread (and the resolver threads curl starts
    /// from it) turns it into an EPIPE error without touching the process's signal handlers.
    private static func prepareThread() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        vpcr_name_current_thread("vpcr-http")
    }
}
