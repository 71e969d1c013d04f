// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Canon",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "CanonCore", targets: ["CanonCore"]),
        /// The Avro runtime user apps link: Foundation at most, no C, no SwiftNIO.
        .library(name: "CanonAvro", targets: ["CanonAvro"]),
        .library(name: "CanonAvroFiles", targets: ["CanonAvroFiles"]),
        /// The log engine: topics, partitions, record batches; schema-agnostic.
        .library(name: "CanonLog", targets: ["CanonLog"]),
        .executable(name: "canon", targets: ["canon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .target(name: "CanonCore"),
        .target(name: "CanonAvro", dependencies: ["CanonCore"]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CanonAvroFiles", dependencies: ["CanonAvro", "CZlib"]),
        .target(name: "CCRC32C"),
        .target(
            name: "CanonLog",
            dependencies: ["CCRC32C", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .executableTarget(
            name: "canon",
            dependencies: [
                "CanonAvro", "CanonAvroFiles", "CanonLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "CanonTestSupport", dependencies: ["CanonCore"], path: "Tests/CanonTestSupport"),
        .testTarget(name: "CanonCoreTests", dependencies: ["CanonCore"]),
        .testTarget(name: "CanonAvroTests", dependencies: ["CanonAvro", "CanonTestSupport"]),
        .testTarget(name: "CanonAvroFilesTests", dependencies: ["CanonAvroFiles", "CanonTestSupport"]),
        .testTarget(name: "CanonLogTests", dependencies: ["CanonLog", "CanonTestSupport"]),
        .testTarget(name: "CanonCLITests", dependencies: ["canon", "CanonAvro", "CanonCore", "CanonTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
