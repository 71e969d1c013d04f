// swift-tools-version: 6.1
import PackageDescription

/// Release-mode benchmarks of Canon with their peers run side by side. Not built by `swift test`.
/// Run: `swift run -c release CanonBench` from this folder (see ../BENCHMARKS.md).
let package = Package(
    name: "CanonBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Canon", path: ".."), .package(url: "https://github.com/apple/swift-log", from: "1.5.0")],
    targets: [
        .executableTarget(
            name: "CanonBench",
            dependencies: [.product(name: "CanonAvro", package: "Canon")]
        ),
        .executableTarget(
            name: "LogBench",
            dependencies: [.product(name: "CanonLog", package: "Canon")]
        ),
        .executableTarget(
            name: "RegistryBench",
            dependencies: [
                .product(name: "CanonRegistry", package: "Canon"), .product(name: "CanonServer", package: "Canon"),
                .product(name: "CanonLog", package: "Canon"), .product(name: "CanonCore", package: "Canon"),
                .product(name: "CanonRegistryClient", package: "Canon"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ValidationBench",
            dependencies: [
                .product(name: "CanonAvro", package: "Canon"), .product(name: "CanonRegistry", package: "Canon"),
                .product(name: "CanonLog", package: "Canon"), .product(name: "CanonCore", package: "Canon"),
            ]
        ),
        /// Generated encode/decode of the reference event: the types come from the build plugin.
        .executableTarget(
            name: "CodegenBench",
            dependencies: [.product(name: "CanonAvro", package: "Canon"), .product(name: "CanonCodegen", package: "Canon")],
            plugins: [.plugin(name: "CanonCodegenPlugin", package: "Canon")]
        ),
        .executableTarget(
            name: "JSONSchemaBench",
            dependencies: [
                .product(name: "CanonJSONSchema", package: "Canon"), .product(name: "CanonAvro", package: "Canon"),
                .product(name: "CanonCore", package: "Canon"),
            ]
        ),
        /// The Kafka door's produce and fetch throughput and latency beside the library API and REST (librdkafka in C, wrk).
        .executableTarget(
            name: "KafkaDoorBench",
            dependencies: [
                .product(name: "CanonKafka", package: "Canon"), .product(name: "CanonLog", package: "Canon"),
                .product(name: "CanonRegistry", package: "Canon"), .product(name: "CanonServer", package: "Canon"),
                .product(name: "CanonCore", package: "Canon"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// XML Schema validation per record: Canon vs a C loop over libxml2 vs lxml.
        .executableTarget(
            name: "XMLBench",
            dependencies: [.product(name: "CanonRegistry", package: "Canon"), .product(name: "CanonCore", package: "Canon")]
        ),
        .executableTarget(
            name: "CompatBench",
            dependencies: [.product(name: "CanonAvro", package: "Canon"), .product(name: "CanonCore", package: "Canon")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
