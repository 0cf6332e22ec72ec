// swift-tools-version:6.1
import PackageDescription

// MARK: - EC2 client

/// libcrypto for SigV4, the EC2 Query API client, its test harness (moto + fault proxy) and benchmark.
let ec2Targets: [Target] = [
    // The host's one HTTP client (EC2, IMDS, credentials, STS, etcd election): libcurl's multi interface.
    .systemLibrary(
        name: "CCurl",
        path: "Sources/CCurl",
        pkgConfig: "libcurl",
        providers: [.apt(["libcurl4-openssl-dev"])]
    ),
    .target(name: "HTTPClient", dependencies: ["CCurl"], path: "Sources/Host/HTTPClient"),
    .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "TestSupport"]),
    // The one etcd v3 client (JSON gateway): leader election in the daemon, and the etcd mode
    // plugin through its own static copy.
    .target(name: "EtcdClient", dependencies: ["HTTPClient"], path: "Sources/Host/EtcdClient"),
    .testTarget(name: "EtcdClientTests", dependencies: ["EtcdClient", "HTTPClient", "TestSupport"]),
    // The etcd mode plugin's own thread, linked in as a library (the daemon tests load it as a plugin).
    .testTarget(name: "EtcdFollowerTests", dependencies: ["EtcdMode"]),
    .systemLibrary(
        name: "COpenSSL",
        path: "Sources/COpenSSL",
        pkgConfig: "openssl",
        providers: [.apt(["libssl-dev"])]
    ),
    .target(
        name: "EC2",
        dependencies: [
            "COpenSSL", "HTTPClient", "RouteModel",
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Sources/Host/EC2"
    ),
    // Helpers shared by the test targets: paths, subprocesses, moto, the fault proxy.
    .target(name: "TestSupport", dependencies: ["EC2", "HTTPClient"], path: "Tests/TestSupport"),
    .testTarget(name: "EC2Tests", dependencies: ["EC2", "HTTPClient", "TestSupport", "RouteModel"], path: "Tests/EC2Tests", exclude: ["corpus"]),
    .executableTarget(name: "EC2Bench", dependencies: ["EC2", "TestSupport", "RouteModel"], path: "Benchmarks/EC2Bench"),
]

// MARK: - Package

/// Plugins are dynamic libraries that depend on PluginABI and PluginKit (linked in statically);
/// the host dlopen()s them. The Examples stay standalone on purpose: they show a third party
/// what to write against the header alone.
let pluginTargets = [
    "FixedConfMode", "ConfigFileMode", "HTTPMode", "EtcdMode",  // mode plugins
    "ICMPHealth", "TCPHealth", "MultiHealth",        // health plugins
]

// ---- Health: the host's health policy, its tests and the probe benchmark. ----
// The health plugins themselves are in `pluginTargets` above.
let healthTargets: [Target] = [
    // Pure health policy: fall, rise, hold-down and the round scheduler; no ABI, no I/O.
    .target(name: "Health", dependencies: ["RouteModel"], path: "Sources/Host/Health"),

    // Loads the built health plugins through the daemon's loader, for the tests and the benchmark.
    .target(
        name: "HealthPluginHarness",
        dependencies: ["PluginHost", "PluginABI", "RouteModel", .product(name: "Logging", package: "swift-log")],
        path: "Tests/HealthTests/Harness"
    ),

    // Measures CPU time per probe round of the health plugins (run by hand, not by CI).
    .executableTarget(name: "HealthBench", dependencies: ["HealthPluginHarness", "PluginHost", "PluginABI"], path: "Benchmarks/HealthBench"),

    // Policy unit tests plus plugin tests against network namespaces (root only).
    .testTarget(
        name: "HealthTests", dependencies: ["Health", "RouteModel", "PluginABI", "PluginHost", "HealthPluginHarness"],
        exclude: ["Harness"]),
]
// ---- end of Health ----

let package = Package(
    name: "vpcrouter",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vpcrouter", targets: ["vpcrouter"]),
        .library(name: "PluginABI", targets: ["PluginABI"]),
    ] + pluginTargets.map { .library(name: $0, type: .dynamic, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Without its default traits: "FullFoundation" makes every module that imports Hummingbird link
        // full Foundation (and ICU behind it); "ConfigurationSupport" is unused.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The one stable contract between the host and every plugin.
        .target(name: "PluginABI", path: "Sources/PluginABI"),
        // The descriptor, option reading, error reporting, host log and clock shared by the built-in
        // Swift plugins; linked statically into each plugin library (depends on PluginABI only).
        .target(name: "PluginKit", dependencies: ["PluginABI"], path: "Sources/PluginKit"),

        // Route specs: addresses, CIDRs and the validator every submission goes through.
        .target(name: "RouteModel", path: "Sources/Host/RouteModel"),

        // dlopen() loader, descriptor validation, option parsing and the host services table.
        .target(
            name: "PluginHost",
            dependencies: [
                "PluginABI", "RouteModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Host/PluginHost"
        ),

        // The built-in HTTP server: status pages, metrics, health, and plugin-registered handlers.
        .target(
            name: "StatusServer",
            dependencies: [
                "PluginHost", "RouteModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            path: "Sources/Host/StatusServer"
        ),

        // The runtime: the reconcile and health loops, the spec store, status and metrics. It reaches
        // the cloud, the health plugin and the clock only through the protocols in Runtime/Ports, so
        // tests run it in-process with fakes; PluginHost is used for its value types only.
        .target(
            name: "Runtime",
            dependencies: [
                "RouteModel", "Reconciler", "Health", "StateStore", "StatusServer", "PluginHost",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Host/Runtime"
        ),

        // Scenario tests of the runtime in-process: a recording fake of the VPC, a scripted probe, a manual clock.
        .testTarget(
            name: "RuntimeTests",
            dependencies: [
                "Runtime", "RouteModel", "Reconciler", "Health", "StateStore", "PluginHost",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),

        // The daemon: CLI, the plugins, the EC2 adapter, leader election and composition.
        // glibc's malloc tuning, which the Glibc module does not export (the daemon's arena limit).
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .executableTarget(
            name: "vpcrouter",
            dependencies: [
                "CMalloc", "Runtime", "PluginHost", "RouteModel", "StatusServer", "Health", "Reconciler", "StateStore", "EC2", "HTTPClient", "EtcdClient", "Leadership",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Host/Daemon"
        ),

        // Leader election: the pure lease decision (role from times), its tests and the takeover benchmark.
        .target(name: "Leadership", path: "Sources/Host/Leadership"),
        .testTarget(name: "LeadershipTests", dependencies: ["Leadership"]),
        .executableTarget(name: "LeaderBench", dependencies: ["TestSupport", "EC2"], path: "Benchmarks/LeaderBench"),
        // What the design's dependencies alone cost in memory (bench.py's floor row); no vpcrouter code.
        .executableTarget(
            name: "DependencyFloor",
            dependencies: [
                "CCurl", "COpenSSL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Benchmarks/DependencyFloor"
        ),

        // Bad inputs live in corpus/ (raw files plus an expected.tsv manifest), not in the test sources.
        .testTarget(name: "RouteModelTests", dependencies: ["RouteModel", "TestSupport"], exclude: ["corpus"]),
        .testTarget(
            name: "PluginHostTests",
            dependencies: ["PluginHost", "RouteModel", "TestSupport"],
            exclude: ["Fixtures"]
        ),
        // Drives the built vpcrouter binary as a subprocess.
        .testTarget(name: "DaemonTests", dependencies: ["TestSupport", "EC2"], exclude: ["corpus"]),
        // The daemon against moto (EC2) and routers in network namespaces.
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "EC2", "RouteModel"]),

        // --- Reconciler block: the pure planner, the ownership ledger store, their tests and benchmark.
        // The planner: a pure function of spec, health, observed VPC, ledger and policy.
        .target(name: "Reconciler", dependencies: ["RouteModel"], path: "Sources/Host/Reconciler"),
        // Persists the ownership ledger in the state directory (atomic replace).
        .target(name: "StateStore", dependencies: ["Reconciler"], path: "Sources/Host/State"),
        .testTarget(name: "ReconcilerTests", dependencies: ["Reconciler", "StateStore", "RouteModel", "TestSupport"]),
        .executableTarget(
            name: "PlanBenchmark", dependencies: ["Reconciler", "RouteModel"], path: "Benchmarks/PlanBenchmark"),
        // --- End of the reconciler block.

    ] + healthTargets + ec2Targets + pluginTargets.map {
        // The etcd mode links its own static copy of the etcd client (and the HTTP client under it).
        .target(name: $0, dependencies: ["PluginABI", "PluginKit"] + ($0 == "EtcdMode" ? ["EtcdClient"] : []), path: "Plugins/\($0)")
    }
)
