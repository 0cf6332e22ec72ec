// swift-tools-version:6.0
import PackageDescription

/// Plugins are dynamic libraries that depend on PluginABI only; the host dlopen()s them.
let pluginTargets: [String] = [
    // Health plugins (issue 5).
    "ICMPHealth", "TCPHealth", "MultiHealth",
]

// ---- Health (issue 5): the host's health policy, its tests and the probe benchmark. ----
// The health plugins themselves are in `pluginTargets` above.
let healthTargets: [Target] = [
    // Pure health policy: fall, rise, hold-down and the round scheduler; no ABI, no I/O.
    .target(name: "Health", dependencies: ["RouteModel"], path: "Sources/Host/Health"),

    // Measures CPU time per probe round of the health plugins (run by hand, not by CI).
    .executableTarget(name: "HealthBench", dependencies: ["PluginABI"], path: "Benchmarks/HealthBench"),

    // Policy unit tests plus plugin tests against network namespaces (root only).
    .testTarget(name: "HealthTests", dependencies: ["Health", "RouteModel", "PluginABI"]),
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
    ],
    targets: [
        // The one stable contract between the host and every plugin.
        .target(name: "PluginABI", path: "Sources/PluginABI"),

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

        // The daemon: CLI, start and stop.
        .executableTarget(
            name: "vpcrouter",
            dependencies: [
                "PluginHost", "RouteModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Host/Daemon"
        ),

        .testTarget(name: "RouteModelTests", dependencies: ["RouteModel"]),

    ] + healthTargets + pluginTargets.map { .target(name: $0, dependencies: ["PluginABI"], path: "Plugins/\($0)") }
)
