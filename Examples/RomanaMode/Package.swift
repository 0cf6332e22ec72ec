// swift-tools-version:6.0
// An out-of-tree vpcrouter mode plugin: routes from Romana 2.0's IPAM topology in etcd. It
// depends on the plugin ABI alone, so it builds and ships apart from vpcrouter and keeps working
// with any vpcrouter of ABI 1.x.
import PackageDescription

let package = Package(
    name: "RomanaMode",
    products: [
        .library(name: "RomanaMode", type: .dynamic, targets: ["RomanaMode"]),
    ],
    dependencies: [
        // A third party would name the vpcrouter repository URL and a release tag here.
        .package(name: "vpcrouter", path: "../.."),
    ],
    targets: [
        .target(name: "RomanaMode", dependencies: [.product(name: "PluginABI", package: "vpcrouter")]),
    ]
)
