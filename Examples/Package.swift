// swift-tools-version: 6.1
// An app that uses Canon as a user would: a path dependency on the Canon checkout that holds this
// folder, and the CanonCodegenPlugin on the target that has the schemas. The dependency's identity is the
// checkout's directory name, so it is derived from this file's path: the package builds whatever the
// clone is called.
import PackageDescription

let canonDirectory = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/"))
let canon = String(canonDirectory.split(separator: "/").last ?? "canon").lowercased()

let package = Package(
    name: "CanonExamples",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: canonDirectory)],
    targets: [
        .executableTarget(
            name: "OrdersExample",
            dependencies: [
                .product(name: "CanonAvro", package: canon), .product(name: "CanonCore", package: canon),
                .product(name: "CanonJSONSchema", package: canon), .product(name: "CanonRegistryClient", package: canon),
            ],
            plugins: [.plugin(name: "CanonCodegenPlugin", package: canon)]
        )
    ],
    swiftLanguageModes: [.v6]
)
