// The memory floor the daemon's dependencies set: a process that links and uses what the design
// names (Swift runtime and concurrency, FoundationEssentials, swift-argument-parser, swift-log,
// swift-service-lifecycle, Hummingbird, swift-metrics with swift-prometheus, libcurl, libcrypto)
// and nothing of vpcrouter. `bench.py` reads its VmRSS beside the idle daemon's.
//
// It parses its options, serves `/metrics` with Hummingbird, fetches that page once through libcurl,
// computes one HMAC-SHA256 and decodes one JSON document, prints "ready", and idles until SIGTERM.
import ArgumentParser
import CCurl
import COpenSSL
import FoundationEssentials
import Glibc
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct DependencyFloor: ParsableCommand {
    @Option(help: "Port for the HTTP server on 127.0.0.1.")
    var port: Int = 0
}

struct Sample: Decodable {
    let cidr: String
    let routers: [String]
}

/// One GET through libcurl's easy interface; the status code, or a message.
func fetch(_ url: String) -> Result<Int, FloorError> {
    guard let handle = curl_easy_init() else { return .failure(FloorError("curl_easy_init failed")) }
    defer { curl_easy_cleanup(handle) }
    let discard: curl_write_callback = { _, size, count, _ in size * count }
    _ = url.withCString { vpcr_curl_set_string(handle, CURLOPT_URL, $0) }
    _ = vpcr_curl_set_data_callback(handle, CURLOPT_WRITEFUNCTION, discard)
    _ = vpcr_curl_set_long(handle, CURLOPT_TIMEOUT_MS, 5_000)
    let code = curl_easy_perform(handle)
    guard code == CURLE_OK else { return .failure(FloorError("GET \(url): \(String(cString: curl_easy_strerror(code)))")) }
    var status = 0
    _ = vpcr_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
    return .success(status)
}

func hmacLength() -> Int {
    let key = Array("key".utf8), message = Array("message".utf8)
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    _ = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &digest, &length)
    return Int(length)
}

/// One line on standard output, written at once (the bench waits for "ready").
func say(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
}

struct FloorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func run(_ arguments: [String]) async -> Never {
    do {
        let options = try DependencyFloor.parse(arguments)
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "floor")
        let registry = PrometheusCollectorRegistry()
        Metrics.Counter(label: "floor_requests_total", factory: PrometheusMetricsFactory(registry: registry)).increment()
        let router = Router()
        router.get("/metrics") { _, _ -> String in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
        let sample = try JSONDecoder().decode(Sample.self, from: Data(#"{"cidr": "10.55.0.0/16", "routers": ["10.1.0.5"]}"#.utf8))
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: options.port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                // Not awaited: the server accepts connections only once this callback has returned.
                Task.detached {
                    switch fetch("http://127.0.0.1:\(port)/metrics") {
                    case .success(let code):
                        say("ready port=\(port) status=\(code) hmac=\(hmacLength()) routers=\(sample.routers.count)")
                    case .failure(let error):
                        say("error: \(error)")
                        exit(1)
                    }
                }
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm], logger: logger))
        try await group.run()
        exit(0)
    } catch {
        say("error: \(error)")
        exit(1)
    }
}

_ = curl_global_init(vpcr_curl_global_default_flags())
let arguments = Array(CommandLine.arguments.dropFirst())
Task.detached { await run(arguments) }
while true { pause() }
