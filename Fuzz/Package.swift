// swift-tools-version: 6.0
// libFuzzer target for the pure HTTP/1.1 parser (RingmasterHTTP). Separate from the root
// package so the root build never needs the fuzzer runtime. Build and run with
// scripts/fuzz.sh; see docs/fuzzing.md.
import PackageDescription

let package = Package(
    name: "RingmasterFuzz",
    dependencies: [
        .package(name: "Ringmaster", path: ".."),
    ],
    targets: [
        // Built with -sanitize=fuzzer,address -parse-as-library: libFuzzer supplies main()
        // and calls LLVMFuzzerTestOneInput.
        .executableTarget(
            name: "FuzzHTTPParser",
            dependencies: [.product(name: "RingmasterHTTP", package: "Ringmaster")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
