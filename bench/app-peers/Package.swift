// swift-tools-version: 6.0
// The same small JSON application on Ringmaster and on Hummingbird 2, for bench/app-peers.sh
// (docs/benchmarks.md, issue 12). A package of its own so Hummingbird never becomes a
// dependency of Ringmaster's.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name: the checkout's, whatever it is.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "AppPeers",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
    ],
    targets: [
        .executableTarget(name: "RingmasterPeer", dependencies: [
            .product(name: "Ringmaster", package: root.lastPathComponent),
            .product(name: "RingmasterCodable", package: root.lastPathComponent),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "HummingbirdPeer", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
