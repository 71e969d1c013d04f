import CanonAvro
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// Interop with a real peer: fastavro (Python, C extension) generates random datums for rich schemas
/// (`Tests/Interop/avro_peer.py`); Canon's bytes must equal fastavro's for the same datum, Canon must decode
/// fastavro's bytes to the same JSON, and fastavro must decode Canon's bytes to the same JSON.
///
/// Needs `python3` with fastavro (`.ci/run` and `scripts/test` install it).
@Suite struct FastavroInteropTests {
    static let interopDir = TestData.interopDirectory

    static var schemaFiles: [String] {
        let own = (try? FileManager.default.contentsOfDirectory(atPath: interopDir.appendingPathComponent("schemas").path)) ?? []
        return own.filter { $0.hasSuffix(".avsc") }.sorted().map { interopDir.appendingPathComponent("schemas/\($0)").path }
            + [TestData.apacheShare.appendingPathComponent("schemas/interop.avsc").path]
    }

    static func peer(_ arguments: [String], input: [UInt8] = []) throws -> String {
        try avroPeer(arguments, input: input)
    }

    @Test func everyRichSchemaIsPresent() {
        #expect(Self.schemaFiles.count >= 7)
    }

    @Test(arguments: schemaFiles)
    func bytesAndJSONMatchFastavro(_ schemaFile: String) throws {
        let schema = try AvroSchema(parsing: TestData.text(URL(fileURLWithPath: schemaFile)))
        let generated = try Self.peer(["generate", "--schema", schemaFile, "--count", "300", "--seed", "20261126"])
        var canonHex: [String] = []
        var expectedJSON: [JSONValue] = []
        for (i, line) in generated.split(separator: "\n").enumerated() {
            let row = try JSONReader.parse(String(line))
            let jsonText = try #require(row["json"]?.stringValue)
            let fastavroHex = try #require(row["hex"]?.stringValue)
            let json = try JSONReader.parse(jsonText)
            // Same datum -> same bytes.
            let datum = try AvroJSON.decode(json, schema: schema)
            let bytes = try schema.encode(datum)
            #expect(TestData.hex(bytes) == fastavroHex, "datum \(i) of \(schemaFile): \(jsonText)")
            // fastavro's bytes -> the same JSON.
            let decoded = try schema.decode(TestData.hexBytes(fastavroHex))
            #expect(try AvroJSON.encode(decoded, schema: schema) == json, "datum \(i) of \(schemaFile)")
            canonHex.append(TestData.hex(bytes))
            expectedJSON.append(json)
        }
        #expect(expectedJSON.count == 300)
        // Canon's bytes -> fastavro's reader -> the same JSON.
        let readBack = try Self.peer(["decode", "--schema", schemaFile], input: Array((canonHex.joined(separator: "\n") + "\n").utf8))
        let lines = readBack.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == expectedJSON.count)
        for (line, expected) in zip(lines, expectedJSON) {
            #expect(try JSONReader.parse(String(line)) == expected)
        }
    }
}
