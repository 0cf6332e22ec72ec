import Foundation
import Logging
import PluginHost
import RouteModel
import Synchronization
import Testing
import TestSupport

@Suite struct PluginInstanceTests {
    let directory: URL
    let loader = PluginLoader()

    init() throws {
        directory = try PackagePaths.temporaryDirectory("vpcr-instances")
    }

    /// Reads a string the fixture exported through one of its test hooks.
    func fixtureString(_ file: String, _ symbol: String) -> String {
        let library = dlopen(file, RTLD_NOW | RTLD_NOLOAD)
        let function = unsafeBitCast(dlsym(library, symbol), to: (@convention(c) () -> UnsafePointer<CChar>).self)
        return String(cString: function())
    }

    @Test func aModePluginSubmitsAndTheHostValidatesOnTheSpot() throws {
        let file = try FixtureBuilder.build(name: "fx-submit", in: directory)
        let plugin = try loader.load(file: file).get()
        let accepted = Mutex<[RouteSpecSubmission]>([])
        let services = PluginServices(logger: Logger(label: "test"), acceptRouteSpec: { submission in
            accepted.withLock { $0.append(submission) }
            return .success(())
        })
        let values = try PluginOptionParser(selected: [plugin], all: [plugin]).parse(["--fx-submit-cidr=10.9.0.0/16"])
        let instance = try PluginInstance.create(plugin, options: values["fx-submit"]!, services: services)
        #expect(fixtureString(file, "fixture_received") == "fx-submit_level=5;fx-submit_cidr=10.9.0.0/16;")
        try instance.start()
        let submissions = accepted.withLock { $0 }
        #expect(submissions.count == 1)
        #expect(submissions.first?.generation == 2)
        #expect(submissions.first?.spec == RouteSpec([IPCIDR("10.9.0.0/16")!: [IPAddress("10.0.0.5")!]]))
        // The first, bad submission was refused with the validator's reason (the last status seen is the good one).
        #expect(fixtureString(file, "fixture_last_error") == "0 ")
        instance.shutdown()
    }

    /// Two submissions in flight at once: the one with the newer generation must be the one left in
    /// force, however long the daemon takes to take the older one.
    @Test func concurrentSubmissionsLeaveTheNewestInForce() throws {
        let file = try FixtureBuilder.build(name: "fx-concurrent", in: directory)
        let plugin = try loader.load(file: file).get()
        let accepted = Mutex<[UInt64]>([])
        let services = PluginServices(logger: Logger(label: "test"), acceptRouteSpec: { submission in
            // The daemon is slow with generation 3, so generation 4 arrives while 3 is being taken.
            if submission.generation == 3 { Thread.sleep(forTimeInterval: 0.3) }
            accepted.withLock { $0.append(submission.generation) }
            return .success(())
        })
        let instance = try PluginInstance.create(plugin, options: [("fx-concurrent_cidr", "10.7.0.0/16")], services: services)
        try instance.start()
        let library = dlopen(file, RTLD_NOW | RTLD_NOLOAD)
        let submit = unsafeBitCast(dlsym(library, "fixture_submit_generation"), to: (@convention(c) (UInt64) -> Int32).self)
        let statuses = Mutex<[UInt64: Int32]>([:])
        // Threads of their own: the dispatch pool may run blocked work one item at a time.
        let threads = [UInt64(3), 4].map { generation in
            let thread = Thread {
                let status = submit(generation)
                statuses.withLock { $0[generation] = status }
            }
            thread.start()
            Thread.sleep(forTimeInterval: 0.1)
            return thread
        }
        while statuses.withLock({ $0.count }) < threads.count { Thread.sleep(forTimeInterval: 0.01) }
        let answered = statuses.withLock { $0 }.filter { $0.value == 0 }.keys
        let order = accepted.withLock { $0 }
        // Whatever the timing: what the daemon took last is the newest answered OK, and the
        // daemon never saw generations go backwards.
        #expect(order.last == answered.max())
        #expect(order == order.sorted() && Set(order).count == order.count)
        instance.shutdown()
    }

    @Test func aRefusedSpecReturnsTheReasonToThePlugin() throws {
        let file = try FixtureBuilder.build(name: "fx-refused", in: directory)
        let plugin = try loader.load(file: file).get()
        // The daemon refuses everything: the plugin must see the daemon's message.
        let services = PluginServices(logger: Logger(label: "test"), acceptRouteSpec: { _ in
            .failure(RouteSpecError(.wrongShape, "refused by the test"))
        })
        let instance = try PluginInstance.create(plugin, options: [("fx-refused_cidr", "10.8.0.0/16")], services: services)
        #expect(throws: PluginError.self) { try instance.start() }
        #expect(fixtureString(file, "fixture_last_error") == "-9 refused by the test")
        instance.shutdown()
    }

    @Test func aHealthPluginProbesAndReportsInfo() throws {
        let file = try FixtureBuilder.build(name: "fx-health", defines: ["FIXTURE_KIND_HEALTH"], in: directory)
        let plugin = try loader.load(file: file).get()
        #expect(plugin.kind == .health)
        let values = try PluginOptionParser(selected: [plugin], all: [plugin]).parse(["--fx_health_level", "7"])
        let instance = try PluginInstance.create(plugin, options: values["fx-health"]!, services: PluginServices(logger: Logger(label: "test")))
        try instance.start()
        let targets = ["10.0.0.12", "10.0.0.13", "10.0.0.14"].map { HealthTarget(address: IPAddress($0)!) }
        let results = try instance.probe(targets, deadline: MonotonicClock.deadline(after: .seconds(1)))
        #expect(results.map(\.verdict) == [.healthy, .failed, .healthy])
        // Round trips (ABI 1.1): as written; none where the plugin wrote 0, nor where it wrote an hour.
        #expect(results.map(\.roundTripTime) == [.microseconds(1_500), nil, nil])
        let info = instance.info()
        #expect(info.params["received"] == "fx-health_level=7;")
        #expect(info.stats["probes"] == "0")
        #expect(info.kind == .health)
        instance.shutdown()
        instance.shutdown()  // idempotent
    }
}

@Suite struct PluginOptionParserTests {
    static func plugin() throws -> LoadedPlugin {
        let directory = try PackagePaths.temporaryDirectory("vpcr-options")
        return try PluginLoader().load(file: FixtureBuilder.build(name: "fx-opts", in: directory)).get()
    }

    @Test func valuesAreCheckedAndCanonical() throws {
        let plugin = try Self.plugin()
        let parser = PluginOptionParser(selected: [plugin], all: [plugin])
        let values = try parser.parse(["--fx-opts_level", "10", "--fx_opts_cidr", "10.2.0.0/16"])
        #expect(values["fx-opts"]!.map { "\($0.0)=\($0.1)" } == ["fx-opts_level=10", "fx-opts_cidr=10.2.0.0/16"])
    }

    @Test(arguments: [
        (["--fx-opts_level", "11"], "--fx-opts_level '11': must be between 1 and 10"),
        (["--fx-opts_level=abc"], "--fx-opts_level 'abc': not an integer"),
        (["--fx-opts_cidr", "10.2.0.1/16"], "--fx-opts_cidr '10.2.0.1/16': not a valid CIDR: host bits are set; did you mean 10.2.0.0/16?"),
        (["--fx-opts_level"], "--fx-opts_level needs a value"),
        (["--nosuch", "1"], "unknown option '--nosuch'"),
        (["stray"], "unexpected argument 'stray'"),
    ])
    func badValuesAreUsageErrors(words: [String], message: String) throws {
        let plugin = try Self.plugin()
        #expect(throws: PluginOptionError(message)) { try PluginOptionParser(selected: [plugin], all: [plugin]).parse(words) }
    }

    @Test func anOptionOfAPluginThatIsNotSelectedIsNamed() throws {
        let plugin = try Self.plugin()
        #expect(throws: PluginOptionError("option --fx-opts_level belongs to the fx-opts plugin, which is not selected (-m fx-opts)")) {
            try PluginOptionParser(selected: [], all: [plugin]).parse(["--fx-opts_level", "3"])
        }
    }

    @Test func requiredOptionsAreEnforced() {
        let required = PluginOptionDeclaration(longName: "file", shortName: "f", type: .path, isRequired: true, help: "x")
        #expect(PluginOptionParser.check("", for: required).isFailure)
        #expect(PluginOptionParser.check("10.0.0.1", for: .init(longName: "ip", type: .ip, help: "")).isFailure == false)
        #expect(PluginOptionParser.check("10.0.0.01", for: .init(longName: "ip", type: .ip, help: "")).isFailure)
        #expect(PluginOptionParser.check("0.1", for: .init(longName: "t", type: .float, help: "", bounds: 0.1...3600)).isFailure == false)
        #expect(PluginOptionParser.check("0.05", for: .init(longName: "t", type: .float, help: "", bounds: 0.1...3600)).isFailure)
        #expect(PluginOptionParser.check("65535", for: .init(longName: "port", type: .int, help: "", bounds: 1...65535)).isFailure == false)
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
