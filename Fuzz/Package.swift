// swift-tools-version: 6.1
// libFuzzer targets for Canon's parsers of untrusted bytes, in their own package so the sanitizer flags
// never touch the main build: `scripts/fuzz TARGET SECONDS` builds them with
// `swift build -c release --sanitize=fuzzer --sanitize=address` and runs one. The dependency's identity is
// the checkout's directory name, derived from this file's path, as in Examples/.
import PackageDescription

let canonDirectory = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/"))
let canon = String(canonDirectory.split(separator: "/").last ?? "canon").lowercased()

let package = Package(
    name: "CanonFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: canonDirectory)],
    targets: [
        .executableTarget(
            name: "FuzzAvroDatum",
            dependencies: [.product(name: "CanonAvro", package: canon), .product(name: "CanonCore", package: canon)]),
        .executableTarget(
            name: "FuzzAvroSchema",
            dependencies: [.product(name: "CanonAvro", package: canon), .product(name: "CanonCore", package: canon)]),
        .executableTarget(name: "FuzzJSON", dependencies: [.product(name: "CanonCore", package: canon)]),
        .executableTarget(
            name: "FuzzJSONSchema",
            dependencies: [.product(name: "CanonJSONSchema", package: canon), .product(name: "CanonCore", package: canon)]),
        .executableTarget(
            name: "FuzzXSD", dependencies: [.product(name: "CanonXSD", package: canon), .product(name: "CanonCore", package: canon)]),
        .executableTarget(name: "FuzzRecordBatch", dependencies: [.product(name: "CanonLog", package: canon)]),
        .executableTarget(
            name: "FuzzRegistryRequest",
            dependencies: [
                .product(name: "CanonCore", package: canon), .product(name: "CanonLog", package: canon),
                .product(name: "CanonLogTestKit", package: canon), .product(name: "CanonRegistry", package: canon),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
