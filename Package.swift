// swift-tools-version: 6.1
// Ringmaster: an io_uring HTTP/1.1 server. The manifest is declarative: no side effects.
import PackageDescription

let package = Package(
    name: "Ringmaster",
    products: [
        .library(name: "Ringmaster", targets: ["Ringmaster"]),
        .library(name: "RingmasterHTTP", targets: ["RingmasterHTTP"]),
        .library(name: "RingmasterHTTPTypes", targets: ["RingmasterHTTPTypes"]),
        .library(name: "RingmasterHandlersHTTPTypes", targets: ["RingmasterHandlersHTTPTypes"]),
        .library(name: "RingmasterCodable", targets: ["RingmasterCodable"]),
        .library(name: "RingmasterServiceLifecycle", targets: ["RingmasterServiceLifecycle"]),
        .executable(name: "ringmaster", targets: ["ringmaster"]),
        .executable(name: "ringmaster-example", targets: ["ringmaster-example"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // No traits: the default FoundationURL trait would bring Foundation in.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
        // Layering of flags, environment and file values. No traits: the default "JSON" trait
        // pulls in full Foundation (JSONSerialization, ICU data) and loses the distinction
        // between 1, 1.0 and true; our strict JSON reader feeds an in-memory provider instead.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C shim over Debian's liburing 2.3 and libnuma: constants and inline helpers only, no policy.
        .target(
            name: "CURing",
            linkerSettings: [.linkedLibrary("uring"), .linkedLibrary("numa")]
        ),
        // C shim over OpenSSL 3 (Debian's libssl-dev): a BIO over the worker's buffers, the SNI,
        // ALPN and ticket-key callbacks, and the macros Swift cannot import. No policy.
        .target(
            name: "CTLS",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        // Pure, I/O-free HTTP/1.1: depends on nothing so the compiler keeps it pure.
        .target(name: "RingmasterHTTP"),
        // Conversions between RingmasterHTTP and apple/swift-http-types, kept apart so the
        // HTTP target depends on nothing.
        .target(
            name: "RingmasterHTTPTypes",
            dependencies: ["RingmasterHTTP", .product(name: "HTTPTypes", package: "swift-http-types")]
        ),
        // The same conversions for the Swift handler API (Request, Response), so the server
        // library itself does not depend on HTTPTypes.
        .target(
            name: "RingmasterHandlersHTTPTypes",
            dependencies: ["Ringmaster", "RingmasterHTTP", "RingmasterHTTPTypes", .product(name: "HTTPTypes", package: "swift-http-types")]
        ),
        .target(
            name: "Ringmaster",
            dependencies: [
                "CURing", "CTLS", "RingmasterHTTP",
                .product(name: "Logging", package: "swift-log"),
                // CoreMetrics only: the bridge needs no Foundation.
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "RingmasterLayers",
            ]
        ),
        // JSON from Encodable and into Decodable for handlers: FoundationEssentials lives
        // here, so the server library stays free of Foundation.
        .target(name: "RingmasterCodable", dependencies: ["Ringmaster", "RingmasterHTTP"]),
        // `Server` as a swift-service-lifecycle `Service`, kept apart so the server library
        // does not depend on ServiceLifecycle.
        .target(
            name: "RingmasterServiceLifecycle",
            dependencies: ["Ringmaster", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        // swift-configuration's layering, behind an API of plain types.
        .target(
            name: "RingmasterLayers",
            dependencies: [.product(name: "Configuration", package: "swift-configuration")]
        ),
        .executableTarget(
            name: "ringmaster",
            dependencies: [
                "Ringmaster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Idle memory (issue 15): the release server links with lld, packing its 43 000
            // relative relocations (Swift metadata is full of pointers) into DT_RELR
            // (glibc 2.36, Debian 12) instead of 1 MiB of RELA entries read at every start,
            // and exports only the symbols shared libraries need (7 734 dynamic symbols before:
            // their tables are looked up by every library relocation at start). Together
            // 1.6 MB less resident at start, measured in docs/benchmarks.md.
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                                           "-Xlinker", "--no-export-dynamic"], .when(configuration: .release))]
        ),
        // An embedding program: a JSON API, health, metrics and static files through the
        // Swift handler API (docs/handlers.md).
        .executableTarget(
            name: "ringmaster-example",
            dependencies: ["Ringmaster", "RingmasterHTTP", "RingmasterCodable", .product(name: "Logging", package: "swift-log")],
            path: "Examples/JSONAPI"
        ),
        // Test-only malloc interposer: counts heap allocations made by one chosen thread.
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .testTarget(name: "RingmasterHTTPTests", dependencies: ["RingmasterHTTP"]),
        .testTarget(name: "RingmasterCodableTests", dependencies: ["RingmasterCodable", "Ringmaster", "RingmasterHTTP"]),
        .testTarget(
            name: "RingmasterTests",
            dependencies: [
                "Ringmaster", "RingmasterHTTP", "RingmasterHTTPTypes", "RingmasterHandlersHTTPTypes", "RingmasterServiceLifecycle", "CURing", "CMallocCounter", "CTLS",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            // The proxy tests' upstream application, run with python3.
            exclude: ["Support/upstream.py", "Support/tls_client.py"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
