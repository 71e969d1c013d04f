import CanonAvro
import CanonCore
import Foundation
import CanonTestSupport
import Testing

/// Every case of `avro-binary-encoding-vectors.json` (spec examples, values cross-checked with Python avro
/// and fastavro) encodes to the exact bytes and decodes back.
@Suite struct BinaryEncodingVectorTests {
    struct Vector: CustomStringConvertible, Sendable {
        var schema: JSONValue
        var value: JSONValue?
        var bytesHex: String?
        var binaryHex: String
        var description: String { "\(schema.jsonText) \(value?.jsonText ?? bytesHex ?? "") -> \(binaryHex)" }
    }

    static func encodings() throws -> [Vector] {
        guard case .array(let entries)? = try TestData.json("avro-binary-encoding-vectors.json")["encodings"] else { return [] }
        return entries.map {
            Vector(
                schema: $0["schema"]!, value: $0["value"], bytesHex: $0["bytes_hex"]?.stringValue, binaryHex: $0["binary_hex"]!.stringValue!
            )
        }
    }

    static func blockEncodings() throws -> [Vector] {
        guard case .array(let entries)? = try TestData.json("avro-binary-encoding-vectors.json")["block_encodings"] else { return [] }
        return entries.map { Vector(schema: $0["schema"]!, value: $0["value"], binaryHex: $0["binary_hex"]!.stringValue!) }
    }

    /// The vectors give plain JSON values (unions unwrapped; logical types in Python's text form):
    /// turn one into the generic datum of the underlying type.
    static func datum(_ v: Vector, _ schema: AvroSchema) throws -> AvroValue {
        if let hex = v.bytesHex {
            let bytes = TestData.hexBytes(hex)
            if case .fixed = schema.rootNode { return .fixed(bytes) }
            return .bytes(bytes)
        }
        let value = v.value!
        switch (schema.rootNode.logicalType, value) {
        case (.date?, .string(let s)):
            let date = try #require(ISO8601DateFormatter.date(s + "T00:00:00Z"))
            return .int(Int32(date.timeIntervalSince1970 / 86_400))
        case (.timestampMillis?, .string(let s)):
            let date = try #require(
                ISO8601DateFormatter.date(s.replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: "+00:00", with: "Z")))
            return .long(Int64(date.timeIntervalSince1970 * 1000))
        case (.decimal(_, let scale)?, .string(let s)):
            // Unscaled integer as minimal big-endian two's complement.
            let digits = s.replacingOccurrences(of: ".", with: "")
            let fraction = s.split(separator: ".").dropFirst().first?.count ?? 0
            var unscaled = try #require(Int64(digits))
            for _ in fraction..<scale { unscaled *= 10 }
            var bytes = withUnsafeBytes(of: unscaled.bigEndian, Array.init)
            while bytes.count > 1, (bytes[0] == 0 && bytes[1] & 0x80 == 0) || (bytes[0] == 0xFF && bytes[1] & 0x80 != 0) {
                bytes.removeFirst()
            }
            return .bytes(bytes)
        default:
            return try AvroJSON.decodeDefault(value, schema: schema)
        }
    }

    @Test(arguments: try encodings())
    func encodesToTheExactBytesAndDecodesBack(_ v: Vector) throws {
        let schema = try AvroSchema(parsing: v.schema.jsonText)
        let datum = try Self.datum(v, schema)
        let expected = TestData.hexBytes(v.binaryHex)
        #expect(try schema.encode(datum) == expected)
        #expect(try schema.decode(expected) == datum)
    }

    @Test(arguments: try blockEncodings())
    func negativeAndMultipleBlockCountsDecode(_ v: Vector) throws {
        let schema = try AvroSchema(parsing: v.schema.jsonText)
        let decoded = try schema.decode(TestData.hexBytes(v.binaryHex))
        #expect(decoded == (try AvroJSON.decodeDefault(v.value!, schema: schema)))
    }

    @Test func vectorFileCounts() throws {
        #expect(try Self.encodings().count == 37)
        #expect(try Self.blockEncodings().count == 3)
    }

    @Test func referenceEventEncodesToTheIssuedBytes() throws {
        let schema = try AvroSchema(parsing: TestData.text(TestData.packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.avsc")))
        let expected = TestData.hexBytes(Self.orderPlacedHex)
        let datum = try schema.decode(expected)
        #expect(datum["customerId"] == .long(1_234_567_890_123))
        #expect(datum["status"] == .enumSymbol("PAID"))
        #expect(datum["tags"]?["campaign"] == .string("black-friday"))
        #expect(try schema.encode(datum) == expected)
        // JSON -> binary -> JSON keeps everything, maps in order.
        let json = try AvroJSON.encodeText(datum, schema: schema)
        #expect(json.contains(#""tags":{"channel":"web","campaign":"black-friday"}"#))
        #expect(try schema.encode(AvroJSON.decode(text: json, schema: schema)) == expected)
    }

    static let orderPlacedHex =
        "4833663262386331652d396134642d346537622d386332662d3161356436653766383039319693d89fee47f6a1abfef962020612d687064555520614534b552d303030313233043d0ad7a370fd334014534b552d303034353637020000000000306f4014534b552d3038393031320a0000000000000e4000040e6368616e6e656c067765621063616d706169676e18626c61636b2d66726964617900020c5341564531300220486175707473747261737365203132330c4265726c696e0a3130313135044445"
}

extension ISO8601DateFormatter {
    static func date(_ s: String) -> Date? { ISO8601DateFormatter().date(from: s) }
}
