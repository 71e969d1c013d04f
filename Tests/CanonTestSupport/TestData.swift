import CanonCore
import Foundation

/// Test support shared by the test targets.
///
/// Locates the shared test data (`../shared/testdata` beside the package, or `$CANON_SHARED/testdata`).
public enum TestData {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    public static var shared: URL {
        if let env = ProcessInfo.processInfo.environment["CANON_SHARED"] { return URL(fileURLWithPath: env) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    public static var avro: URL { shared.appendingPathComponent("testdata/avro") }
    public static var apacheShare: URL { avro.appendingPathComponent("apache-avro-share-test/share/test") }

    public static func json(_ relativePath: String) throws -> JSONValue {
        try JSONReader.parse(bytes: Array(try Data(contentsOf: avro.appendingPathComponent(relativePath))))
    }

    public static func text(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }

    public static func hexBytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter { !$0.isWhitespace }
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            out.append(UInt8(digits[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
