// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Canon",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "CanonCore", targets: ["CanonCore"]),
        /// The Avro runtime user apps link: Foundation at most, no C, no SwiftNIO.
        .library(name: "CanonAvro", targets: ["CanonAvro"]),
        .library(name: "CanonJSONSchema", targets: ["CanonJSONSchema"]),
        /// XML Schema (XSD) as a format, over libxml2.
        .library(name: "CanonXSD", targets: ["CanonXSD"]),
        .library(name: "CanonAvroFiles", targets: ["CanonAvroFiles"]),
        /// The log engine: topics, partitions, record batches; schema-agnostic.
        .library(name: "CanonLog", targets: ["CanonLog"]),
        /// For tests of code on the log: a fault-injecting, power-cutting in-memory file system.
        .library(name: "CanonLogTestKit", targets: ["CanonLogTestKit"]),
        /// The registry: schemas, versions, IDs, compatibility and modes as a state machine over the log.
        .library(name: "CanonRegistry", targets: ["CanonRegistry"]),
        /// The HTTP server speaking Confluent Schema Registry's REST API (Hummingbird).
        .library(name: "CanonServer", targets: ["CanonServer"]),
        /// The Kafka protocol door (a broker over a RecordLog, and its SwiftNIO listener).
        .library(name: "CanonKafka", targets: ["CanonKafka"]),
        /// A cached HTTP client of the registry API, and an `AvroSchemaSource` for serializers. Apps link it
        /// beside CanonAvro; CanonAvro never links it.
        .library(name: "CanonRegistryClient", targets: ["CanonRegistryClient"]),
        .executable(name: "canon", targets: ["canon"]),
        /// The code generator: Avro schemas -> Swift types (depends on CanonAvro only).
        .library(name: "CanonCodegen", targets: ["CanonCodegen"]),
        .executable(name: "canon-codegen", targets: ["canon-codegen"]),
        /// Generates Swift types from a target's `.avsc` files on every build.
        .plugin(name: "CanonCodegenPlugin", targets: ["CanonCodegenPlugin"]),
        /// The schema workflow as a library: check, register and pull the schemas `canon-codegen.json` maps.
        .library(name: "CanonSchemaSync", targets: ["CanonSchemaSync"]),
        .executable(name: "canon-schemas", targets: ["canon-schemas"]),
        /// `swift package canon check|register|pull`: the repository's schemas against a registry.
        .plugin(name: "CanonSchemasPlugin", targets: ["CanonSchemasPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
    ],
    targets: [
        .target(name: "CanonCore"),
        .target(name: "CanonAvro", dependencies: ["CanonCore"]),
        .target(name: "CanonJSONSchema", dependencies: ["CanonCore"]),
        .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .target(name: "CanonXSD", dependencies: ["CanonCore", "CLibXML2"]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
        /// Byte codecs: DEFLATE and gzip (zlib), Snappy (Swift), LZ4 frames and zstd (the system libraries).
        .target(name: "CanonCodecs", dependencies: ["CanonCore", "CZlib", "CLZ4", "CZstd"]),
        .target(name: "CanonAvroFiles", dependencies: ["CanonAvro", "CanonCore", "CanonCodecs"]),
        .target(name: "CCRC32C"),
        .target(
            name: "CanonLog",
            dependencies: ["CanonCore", "CanonCodecs", "CCRC32C", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(name: "CanonLogTestKit", dependencies: ["CanonLog"]),
        .target(name: "CanonCodegen", dependencies: ["CanonAvro", "CanonCore", "CanonJSONSchema"]),
        .executableTarget(name: "canon-codegen", dependencies: ["CanonCodegen"]),
        .plugin(name: "CanonCodegenPlugin", capability: .buildTool(), dependencies: ["canon-codegen"]),
        .target(
            name: "CanonSchemaSync",
            dependencies: [
                "CanonCodegen", "CanonRegistryClient", "CanonAvro", "CanonCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "canon-schemas", dependencies: ["CanonSchemaSync", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .plugin(
            name: "CanonSchemasPlugin",
            capability: .command(
                intent: .custom(
                    verb: "canon", description: "Check, register or pull the schemas canon-codegen.json maps to registry subjects"),
                permissions: [
                    .allowNetworkConnections(scope: .all(), reason: "check and register ask the schema registry; pull reads from it"),
                    .writeToPackageDirectory(reason: "pull writes the registry's schemas and canon-codegen.json into the target"),
                ]
            ),
            dependencies: ["canon-schemas"]
        ),
        .target(name: "CanonRegistry", dependencies: ["CanonCore", "CanonAvro", "CanonJSONSchema", "CanonXSD", "CanonLog"]),
        /// The Kafka protocol door of `canon serve --kafka-port`: the wire format and a broker over the log.
        .target(
            name: "CanonKafka",
            dependencies: [
                "CanonCore", "CanonCodecs", "CanonLog", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(name: "CanonRegistryClient", dependencies: ["CanonCore", "CanonAvro"]),
        .target(
            name: "CanonServer",
            dependencies: [
                "CanonRegistry", "CanonLog", "CanonCore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "canon",
            dependencies: [
                "CanonAvro", "CanonAvroFiles", "CanonCodegen", "CanonCore", "CanonJSONSchema", "CanonXSD", "CanonKafka", "CanonLog",
                "CanonRegistry",
                "CanonServer",
                "CanonRegistryClient", "CanonSchemaSync", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "CanonTestSupport", dependencies: ["CanonCore"], path: "Tests/CanonTestSupport"),
        .testTarget(name: "CanonCoreTests", dependencies: ["CanonCore"]),
        .testTarget(
            name: "CanonRegistryTests",
            dependencies: ["CanonRegistry", "CanonAvro", "CanonCore", "CanonLog", "CanonLogTestKit", "CanonTestSupport"]),
        .testTarget(
            name: "CanonServerTests",
            dependencies: [
                "CanonServer", "CanonRegistryClient", "CanonRegistry", "CanonLog", "CanonLogTestKit", "CanonAvro", "CanonCore",
                "CanonTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "CanonSchemaSyncTests",
            dependencies: [
                "CanonSchemaSync", "CanonCodegen", "CanonAvro", "CanonCore", "CanonRegistryClient", "CanonServer", "CanonRegistry",
                "CanonLog",
                "CanonLogTestKit", "CanonTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "CanonXSDTests", dependencies: ["CanonXSD", "CanonCore", "CanonTestSupport"]),
        .testTarget(name: "CanonJSONSchemaTests", dependencies: ["CanonJSONSchema", "CanonCore", "CanonTestSupport"]),
        .testTarget(name: "CanonAvroTests", dependencies: ["CanonAvro", "CanonCore", "CanonTestSupport"]),
        .testTarget(
            name: "CanonAvroFilesTests", dependencies: ["CanonAvroFiles", "CanonAvro", "CanonCodecs", "CanonCore", "CanonTestSupport"]),
        .testTarget(name: "CanonLogTests", dependencies: ["CanonLog", "CanonLogTestKit", "CanonTestSupport"]),
        .testTarget(
            name: "CanonKafkaTests",
            dependencies: [
                "CanonKafka", "CanonCodecs", "CanonLog", "CanonLogTestKit", "CanonCore", "CanonTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "CanonCodegenTests", dependencies: ["CanonCodegen", "CanonAvro", "CanonCore", "CanonTestSupport"], exclude: ["Schemas"]),
        /// Compiles and exercises the golden output of CanonCodegenTests (its `Generated/` folder).
        .testTarget(name: "CanonGeneratedTests", dependencies: ["CanonAvro", "CanonCore", "CanonJSONSchema", "CanonTestSupport"]),
        .testTarget(
            name: "CanonCLITests", dependencies: ["canon", "canon-codegen", "CanonAvro", "CanonCore", "CanonLog", "CanonTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
