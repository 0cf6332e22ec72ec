// swift-tools-version:6.0
// An out-of-tree vpcrouter mode plugin in Swift. It depends on the plugin ABI alone: no host
// code, no Swift types cross the boundary, so it keeps working with any vpcrouter of ABI 1.x.
import PackageDescription

let package = Package(
    name: "SwiftModePlugin",
    products: [
        .library(name: "StaticRoutesMode", type: .dynamic, targets: ["StaticRoutesMode"]),
    ],
    dependencies: [
        // A third party would name the vpcrouter repository URL and a release tag here.
        .package(name: "vpcrouter", path: "../.."),
    ],
    targets: [
        .target(name: "StaticRoutesMode", dependencies: [.product(name: "PluginABI", package: "vpcrouter")]),
    ]
)
