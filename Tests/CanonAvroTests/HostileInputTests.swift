import CanonAvro
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// The binary reader on hostile input: every malformed input is an error with a byte offset, never a
/// crash, and what decoding may cost is bounded by ``AvroDecodingLimits``.
@Suite struct HostileInputTests {
    static func schema(_ text: String) throws -> AvroSchema { try AvroSchema(parsing: text) }

    struct Case: CustomStringConvertible, Sendable {
        var schema: String
        var hex: String
        var code: AvroError.Code
        var offset: Int
        var message: String
        var description: String { "\(schema) \(hex)" }
    }

    static let cases: [Case] = [
        .init(schema: #""long""#, hex: "", code: .truncated, offset: 0, message: "input ends inside long"),
        .init(schema: #""long""#, hex: "80", code: .truncated, offset: 0, message: "input ends inside long"),
        .init(schema: #""long""#, hex: "ffffffffffffffffff02", code: .malformedData, offset: 0, message: "overflows 64 bits"),
        .init(schema: #""long""#, hex: "ffffffffffffffffffff01", code: .malformedData, offset: 0, message: "overflows 64 bits"),
        .init(schema: #""int""#, hex: "ffffffff1f", code: .malformedData, offset: 0, message: "overflows 32 bits"),
        .init(schema: #""int""#, hex: "0200", code: .trailingBytes, offset: 1, message: "1 trailing byte"),
        .init(schema: #""string""#, hex: "01", code: .malformedData, offset: 0, message: "negative string length -1"),
        .init(schema: #""bytes""#, hex: "0a0102", code: .truncated, offset: 0, message: "length 5 exceeds the 2 remaining"),
        .init(schema: #""string""#, hex: "04c328", code: .malformedData, offset: 1, message: "invalid UTF-8"),
        .init(schema: #""string""#, hex: "06eda080", code: .malformedData, offset: 1, message: "invalid UTF-8"),
        .init(schema: #""string""#, hex: "04c0af", code: .malformedData, offset: 1, message: "invalid UTF-8"),
        .init(schema: #""boolean""#, hex: "02", code: .malformedData, offset: 0, message: "must be 0 or 1"),
        .init(schema: #"["null","int"]"#, hex: "04", code: .malformedData, offset: 0, message: "union branch index 2 out of range"),
        .init(schema: #"["null","int"]"#, hex: "01", code: .malformedData, offset: 0, message: "union branch index -1"),
        .init(
            schema: #"{"type":"enum","name":"E","symbols":["A","B"]}"#, hex: "04", code: .malformedData, offset: 0,
            message: "enum index 2 out of range"),
        .init(schema: #"{"type":"fixed","name":"F","size":4}"#, hex: "010203", code: .truncated, offset: 0, message: "fixed(4)"),
        .init(schema: #""double""#, hex: "00000000", code: .truncated, offset: 0, message: "double"),
        // A block count of 2^62 longs: more items than the remaining bytes can hold.
        .init(
            schema: #"{"type":"array","items":"long"}"#, hex: "808080808080808080" + "01", code: .truncated, offset: 0,
            message: "needs at least 1 byte(s) per item"),
        // 2^62 nulls cost no input: refused by the item limit before anything is allocated.
        .init(
            schema: #"{"type":"array","items":"null"}"#, hex: "808080808080808080" + "01", code: .limitExceeded, offset: 0,
            message: "more than 4194304 items"),
        .init(
            schema: #"{"type":"map","values":"null"}"#, hex: "808080808080808080" + "01", code: .truncated, offset: 0, message: "per item"),
        .init(
            schema: #"{"type":"array","items":{"type":"record","name":"E","fields":[]}}"#, hex: "feffffffffffffffff01",
            code: .limitExceeded, offset: 0, message: "items"),
        .init(
            schema: #"{"type":"array","items":"long"}"#, hex: "0380808080808080808001", code: .malformedData, offset: 1,
            message: "block byte size"),
        .init(schema: #"{"type":"array","items":"long"}"#, hex: "030a0200", code: .malformedData, offset: 1, message: "exceeds the"),
    ]

    @Test(arguments: cases)
    func malformedInputIsAnErrorWithItsOffset(_ c: Case) throws {
        let schema = try Self.schema(c.schema)
        do {
            let value = try schema.decode(TestData.hexBytes(c.hex))
            Issue.record("decoded \(value)")
        } catch {
            #expect(error.code == c.code, "\(error)")
            #expect(error.location.byteOffset == c.offset, "\(error)")
            #expect(error.message.contains(c.message), "\(error)")
        }
    }

    @Test func limitsAreConfigurable() throws {
        let nulls = try Self.schema(#"{"type":"array","items":"null"}"#)
        let limits = AvroDecodingLimits(maxCollectionItems: 1000)
        // Two blocks of 500 and 501: the total counts.
        #expect(throws: AvroError.self) { try nulls.decode([0xE8, 0x07, 0xEA, 0x07, 0x00], limits: limits) }
        #expect(try nulls.decode([0xE8, 0x07, 0xE8, 0x07, 0x00], limits: limits) == .array(Array(repeating: .null, count: 1000)))

        let strings = try Self.schema(#""string""#)
        let long = try strings.encode(.string(String(repeating: "x", count: 100)))
        #expect(throws: AvroError.self) { try strings.decode(long, limits: AvroDecodingLimits(maxLength: 99)) }
        #expect(try strings.decode(long, limits: AvroDecodingLimits(maxLength: 100)) == .string(String(repeating: "x", count: 100)))

        let nested = try Self.schema(#"{"type":"array","items":{"type":"array","items":{"type":"array","items":"int"}}}"#)
        let deep = try nested.encode(.array([.array([.array([.int(1)])])]))
        #expect(throws: AvroError.self) { try nested.decode(deep, limits: AvroDecodingLimits(maxDepth: 2)) }
        _ = try nested.decode(deep, limits: AvroDecodingLimits(maxDepth: 3))

        let bytes = try Self.schema(#"{"type":"array","items":"bytes"}"#)
        let big = try bytes.encode(.array(Array(repeating: .bytes(Array(repeating: 7, count: 1000)), count: 10)))
        let error = #expect(throws: AvroError.self) { try bytes.decode(big, limits: AvroDecodingLimits(maxTotalSize: 5000)) }
        #expect(error?.code == .limitExceeded)
    }

    @Test func deeplyRecursiveInputHitsTheDepthLimit() throws {
        let list = try Self.schema(#"{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}"#)
        // 100,000 nested "present" branches, no end.
        let bytes = [UInt8](repeating: 0x02, count: 100_000) + [0x00]
        let error = #expect(throws: AvroError.self) { try list.decode(bytes) }
        #expect(error?.code == .limitExceeded)
    }

    static let fuzzSchemas: [String] = [
        #"{"type":"record","name":"OrderPlaced","namespace":"com.example.orders","fields":[{"name":"orderId","type":{"type":"string","logicalType":"uuid"}},{"name":"customerId","type":"long"},{"name":"placedAt","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"status","type":{"type":"enum","name":"Status","symbols":["PENDING","PAID","SHIPPED","CANCELLED"]}},{"name":"total","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}},{"name":"currency","type":"string","default":"EUR"},{"name":"items","type":{"type":"array","items":{"type":"record","name":"LineItem","fields":[{"name":"sku","type":"string"},{"name":"quantity","type":"int"},{"name":"unitPrice","type":"double"}]}}},{"name":"tags","type":{"type":"map","values":"string"}},{"name":"couponCode","type":["null","string"],"default":null}]}"#,
        #"{"type":"array","items":"null"}"#,
        #"{"type":"map","values":{"type":"array","items":{"type":"record","name":"E","fields":[]}}}"#,
        #"{"type":"record","name":"T","fields":[{"name":"kids","type":{"type":"array","items":"T"}},{"name":"v","type":["null","int","string",{"type":"fixed","name":"F","size":3}]}]}"#,
        #"["null","boolean","int","long","float","double","bytes","string"]"#,
    ]

    /// Random and mutated byte strings: only errors or values that re-encode to an equal value.
    @Test(arguments: fuzzSchemas)
    func randomAndMutatedInputNeverCrashes(_ text: String) throws {
        let schema = try Self.schema(text)
        var rng = SplitMix64(state: UInt64(text.utf8.count) ^ 0xC0FFEE)
        let limits = AvroDecodingLimits(maxCollectionItems: 10_000, maxLength: 1 << 16, maxDepth: 64, maxTotalSize: 1 << 22)
        let seeds: [[UInt8]] = [
            TestData.hexBytes("48" + String(repeating: "61", count: 36) + "02020202020000020202"),
            [0x02, 0x00, 0x00], [0x04, 0x00, 0x02, 0x02, 0x00], [],
        ]
        for round in 0..<4000 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = (0..<Int(rng.next() % 48)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                input = seeds[Int(rng.next() % UInt64(seeds.count))]
                for _ in 0...Int(rng.next() % 4) {
                    switch rng.next() % 4 {
                    case 0 where !input.isEmpty: input[Int(rng.next() % UInt64(input.count))] ^= UInt8(truncatingIfNeeded: rng.next())
                    case 1:
                        input.insert(
                            contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
                            at: input.isEmpty ? 0 : Int(rng.next() % UInt64(input.count)))
                    case 2 where !input.isEmpty: input.removeLast(Int(rng.next() % UInt64(input.count)))
                    default: input.append(UInt8(truncatingIfNeeded: rng.next()))
                    }
                }
            }
            do {
                let value = try schema.decode(input, limits: limits)
                #expect(try schema.decode(schema.encode(value)) == value)
            } catch {
                #expect(error.location.byteOffset != nil, "\(error)")
            }
        }
    }
}

@Suite struct DecodingLimitScopeTests {
    @Test func totalSizeLimitAppliesToEachDatumNotTheWholeStream() throws {
        let schema = try AvroSchema(parsing: #"{"type":"array","items":"string"}"#)
        let one = try schema.encode(.array(Array(repeating: .string("abcdefgh"), count: 10)))
        let stream = Array(repeating: one, count: 1000).flatMap { $0 }
        let limits = AvroDecodingLimits(maxTotalSize: 4096)
        let count = try AvroBinaryReader.withReader(stream, limits: limits) { (r) throws(AvroError) -> Int in
            var n = 0
            while !r.isAtEnd {
                _ = try schema.decode(from: &r)
                n += 1
            }
            return n
        }
        #expect(count == 1000)
    }
}

/// Items that take no bytes are bounded per datum: a few kilobytes cannot declare billions of them.
@Suite struct EmptyItemBudgetTests {
    /// `array<array<null>>`: `outer` blocks of one inner array each, every inner array one block of
    /// `inner` nulls: about 5 bytes per outer item, `outer × inner` items in all.
    static func nestedNulls(outer: Int, inner: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        Varint.append(Varint.zigZag(Int64(outer)), to: &bytes)
        for _ in 0..<outer {
            Varint.append(Varint.zigZag(Int64(inner)), to: &bytes)
            bytes.append(0)
        }
        bytes.append(0)
        return bytes
    }

    @Test func nestedArraysOfNullsAreRefusedByTheItemBudget() throws {
        let schema = try AvroSchema(parsing: #"{"type":"array","items":{"type":"array","items":"null"}}"#)
        let payload = Self.nestedNulls(outer: 1_000, inner: 4_000_000)
        #expect(payload.count < 6_000)
        // Validation (the log's write-time check) and decoding both stop at the budget: after the first
        // block (within it), at the second (past it), naming the budget and the byte.
        let refused = #expect(throws: AvroError.self) { try schema.validate(payload) }
        #expect(refused?.code == .limitExceeded)
        #expect(refused?.message.contains("more than 1048576 items that take no bytes") == true, "\(refused?.message ?? "")")
        let decoded = #expect(throws: AvroError.self) { _ = try schema.decode(payload) }
        #expect(decoded?.code == .limitExceeded)
        // Within the budget the same shape is fine; the budget is configurable.
        try schema.validate(Self.nestedNulls(outer: 4, inner: 1_000))
        #expect(throws: AvroError.self) {
            try schema.validate(Self.nestedNulls(outer: 4, inner: 1_000), limits: AvroDecodingLimits(maxEmptyItems: 3_999))
        }
        try schema.validate(Self.nestedNulls(outer: 4, inner: 1_000), limits: AvroDecodingLimits(maxEmptyItems: 4_000))
        // Empty records and zero-size fixed count as well.
        let records = try AvroSchema(parsing: #"{"type":"array","items":{"type":"record","name":"E","fields":[]}}"#)
        try records.validate([10, 0], limits: AvroDecodingLimits(maxEmptyItems: 5))
        #expect(throws: AvroError.self) { try records.validate([10, 0], limits: AvroDecodingLimits(maxEmptyItems: 4)) }
        let fixed = try AvroSchema(parsing: #"{"type":"array","items":{"type":"fixed","name":"Z","size":0}}"#)
        #expect(throws: AvroError.self) { try fixed.validate([10, 0], limits: AvroDecodingLimits(maxEmptyItems: 4)) }
    }
}
