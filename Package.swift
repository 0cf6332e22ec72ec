// swift-tools-version:6.0
import PackageDescription

// MARK: - EC2 client (issue 3)

/// libcrypto for SigV4, the EC2 Query API client, its test harness (moto + fault proxy) and benchmark.
let ec2Targets: [Target] = [
    .systemLibrary(
        name: "COpenSSL",
        path: "Sources/COpenSSL",
        pkgConfig: "openssl",
        providers: [.apt(["libssl-dev"])]
    ),
    .target(
        name: "EC2",
        dependencies: [
            "COpenSSL", "RouteModel",
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Sources/Host/EC2"
    ),
    .target(name: "TestSupport", dependencies: ["EC2"], path: "Tests/TestSupport"),
    .testTarget(name: "EC2Tests", dependencies: ["EC2", "TestSupport", "RouteModel"], path: "Tests/EC2Tests"),
    .executableTarget(name: "EC2Bench", dependencies: ["EC2", "TestSupport", "RouteModel"], path: "Benchmarks/EC2Bench"),
]

// MARK: - Package

/// Plugins are dynamic libraries that depend on PluginABI only; the host dlopen()s them.
let pluginTargets: [String] = []

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

    ] + ec2Targets
      + pluginTargets.map { .target(name: $0, dependencies: ["PluginABI"], path: "Plugins/\($0)") }
)
