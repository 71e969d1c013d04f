import CanonAvro
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// `AvroSchema.validate`: the decoder's verdicts without building values, plus strict logical types and
/// the schema path of a failure.
@Suite struct AvroValidationTests {
    @Test(arguments: HostileInputTests.cases)
    func malformedInputGetsTheDecodersVerdict(_ c: HostileInputTests.Case) throws {
        let schema = try AvroSchema(parsing: c.schema)
        do {
            try schema.validate(TestData.hexBytes(c.hex))
            Issue.record("validated")
        } catch {
            #expect(error.code == c.code && error.location.byteOffset == c.offset && error.message.contains(c.message), "\(error)")
        }
    }

    @Test func theReferenceEventValidatesAndEveryTruncationOrMutationMatchesTheDecoder() throws {
        let schema = try AvroSchema(parsing: TestData.text(TestData.packageRoot.appendingPathComponent("Schemas/bench/OrderPlaced.avsc")))
        let bytes = TestData.hexBytes(BinaryEncodingVectorTests.orderPlacedHex)
        try schema.validate(bytes)
        var rng = SplitMix64(state: 91)
        for cut in 0..<bytes.count {
            #expect(throws: AvroError.self) { try schema.validate(Array(bytes.prefix(cut))) }
        }
        // Random mutations: whenever the decoder accepts, validation does too (modulo strict logical
        // types), and whenever the decoder refuses, validation refuses at the same byte.
        for _ in 0..<3000 {
            var mutated = bytes
            mutated[rng.below(mutated.count)] = rng.byte()
            let decoded = Result { () throws(AvroError) in try schema.decode(mutated) }
            let validated = Result { () throws(AvroError) in try schema.validate(mutated) }
            switch (decoded, validated) {
            case (.failure(let d), .failure(let v)):
                #expect(
                    d.location.byteOffset == v.location.byteOffset || v.message.contains("UUID") || v.message.contains("digits")
                        || v.message.contains("block byte size"), "\(d) vs \(v)")
            case (.success, .failure(let v)):
                #expect(
                    v.message.contains("UUID") || v.message.contains("digits") || v.message.contains("block byte size"),
                    "validate refused what decode accepts: \(v)")
            case (.failure(let d), .success):
                Issue.record("validate accepted what decode refuses: \(d)")
            case (.success, .success):
                break
            }
        }
    }

    @Test func logicalTypesAreCheckedStrictly() throws {
        let uuid = try AvroSchema(parsing: #"{"type":"string","logicalType":"uuid"}"#)
        let good = Array("3f2b8c1e-9a4d-4e7b-8C2F-1a5d6e7f8091".utf8)
        try uuid.validate([UInt8(good.count * 2)] + good)
        let error = #expect(throws: AvroError.self) { try uuid.validate([UInt8(6)] + Array("abc".utf8)) }
        #expect(error?.message.contains("not a UUID") == true)
        // decimal(4, 2): |unscaled| <= 9999.
        let decimal = try AvroSchema(parsing: #"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#)
        try decimal.validate([0x04, 0x27, 0x0f])  // 9999
        try decimal.validate([0x04, 0xd8, 0xf1])  // -9999
        #expect(throws: AvroError.self) { try decimal.validate([0x04, 0x27, 0x10]) }  // 10000
        #expect(throws: AvroError.self) { try decimal.validate([0x04, 0xd8, 0xf0]) }  // -10000
        let fixed = try AvroSchema(parsing: #"{"type":"fixed","name":"D","size":16,"logicalType":"decimal","precision":38}"#)
        try fixed.validate([0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a, 0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff, 0xff, 0xff])  // 10^38 - 1
        #expect(throws: AvroError.self) {
            try fixed.validate([0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a, 0x09, 0x8a, 0x22, 0x40, 0, 0, 0, 0])
        }
    }

    @Test func aFailureNamesTheSchemaPathOfTheTypeThatCouldNotBeRead() throws {
        let schema = try AvroSchema(
            parsing:
                #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":["null",{"type":"array","items":{"type":"enum","name":"E","symbols":["X"]}}]}]}"#
        )
        // a=1, branch 1, 1 item, enum index 2
        let error = #expect(throws: AvroError.self) { try schema.validate([0x02, 0x02, 0x02, 0x04]) }
        #expect(error?.location.jsonPath == "/fields/1/type/1/items")
        #expect(error?.location.byteOffset == 3)
        let trailing = #expect(throws: AvroError.self) { try schema.validate([0x02, 0x00, 0x00]) }
        #expect(trailing?.location.jsonPath == "/")
    }

    /// A block with a negative count declares its byte size (readers skip by it): it must match.
    @Test func aBlocksDeclaredByteSizeMustMatchItsItems() throws {
        let schema = try AvroSchema(parsing: #"{"type":"array","items":"long"}"#)
        try schema.validate([0x03, 0x04, 0x02, 0x04, 0x00])  // -2 items, 2 bytes: [1, 2]
        let error = #expect(throws: AvroError.self) { try schema.validate([0x03, 0x06, 0x02, 0x04, 0x00]) }  // says 3 bytes
        #expect(error?.message.contains("block byte size") == true && error?.location.byteOffset == 0)
        #expect(error?.location.jsonPath == "/")
        _ = try schema.decode([0x03, 0x06, 0x02, 0x04, 0x00])  // the decoder, like most, does not check it
    }
}
