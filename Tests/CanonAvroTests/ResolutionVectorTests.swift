import CanonAvro
import CanonCore
import CanonTestSupport
import Testing

/// Datum-level resolution: `resolution` and `resolution_csharp` of `avro-binary-encoding-vectors.json`
/// (from apache/avro's Java and C# tests, each checked with fastavro's resolved read).
@Suite struct ResolutionVectorTests {
    struct Vector: CustomStringConvertible, Sendable {
        var index: Int
        var writer: JSONValue
        var reader: JSONValue
        var bytes: String
        var expected: JSONValue
        var description: String { "#\(index) \(writer.jsonText) -> \(reader.jsonText)" }
    }

    static func vectors() throws -> [Vector] {
        let file = try TestData.json("avro-binary-encoding-vectors.json")
        var out: [Vector] = []
        for key in ["resolution", "resolution_csharp"] {
            guard case .array(let entries)? = file[key] else { continue }
            for e in entries {
                out.append(
                    Vector(
                        index: out.count, writer: e["writer"]!, reader: e["reader"]!,
                        bytes: e["binary_hex"]!.stringValue!, expected: e["expected"]!))
            }
        }
        return out
    }

    /// The value as the vectors write it: unions unwrapped, bytes as `{"bytes_hex": …}`.
    static func plain(_ v: AvroValue) -> JSONValue {
        switch v {
        case .null: return .null
        case .boolean(let b): return .bool(b)
        case .int(let i): return .int(Int64(i))
        case .long(let l): return .int(l)
        case .float(let f): return .double(Double(f))
        case .double(let d): return .double(d)
        case .bytes(let b), .fixed(let b): return .object(["bytes_hex": .string(TestData.hex(b))])
        case .string(let s), .enumSymbol(let s): return .string(s)
        case .array(let items): return .array(items.map(plain))
        case .map(let m), .record(let m): return .object(JSONObject(m.entries.map { ($0.key, plain($0.value)) }))
        case .union(_, let v): return plain(v)
        }
    }

    /// Equality with numbers compared by value (as float when either side is a float) and objects in any order.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { m in y[m.key].map { same(m.value, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy(same)
        default:
            if let x = a.doubleValue, let y = b.doubleValue { return x == y || Float(x) == Float(y) }
            return a == b
        }
    }

    @Test func vectorFileHasEveryCase() throws {
        #expect(try Self.vectors().count == 62)
    }

    @Test(arguments: try vectors())
    func resolvedReadMatchesTheExpectedValue(_ v: Vector) throws {
        let writer = try AvroSchema(parsing: v.writer.jsonText)
        let reader = try AvroSchema(parsing: v.reader.jsonText)
        let resolver = try AvroResolver(writer: writer, reader: reader)
        if v.expected == .string("error") {
            #expect(throws: AvroError.self) { try resolver.decode(TestData.hexBytes(v.bytes)) }
            return
        }
        let value = try resolver.decode(TestData.hexBytes(v.bytes))
        #expect(Self.same(Self.plain(value), v.expected), "\(Self.plain(value).jsonText) != \(v.expected.jsonText)")
        // The resolved value is a valid datum of the reader schema.
        #expect(try reader.decode(reader.encode(value)) == value)
    }
}

@Suite struct ResolverBehaviourTests {
    static let v1 =
        #"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"int"},{"name":"note","type":"string"},{"name":"status","type":{"type":"enum","name":"S","symbols":["NEW","PAID","VOID"]}}]}"#
    static let v2 =
        #"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"status","type":{"type":"enum","name":"S","symbols":["NEW","PAID"],"default":"NEW"}},{"name":"orderId","type":"long","aliases":["id"]},{"name":"tags","type":{"type":"array","items":"string"},"default":["a"]},{"name":"total","type":["null","double"],"default":null}]}"#

    @Test func oldDataReadsIntoTheNewShape() throws {
        let writer = try AvroSchema(parsing: Self.v1), reader = try AvroSchema(parsing: Self.v2)
        let old = try writer.encode(AvroJSON.decode(text: #"{"id": 7, "note": "skip me", "status": "VOID"}"#, schema: writer))
        let value = try AvroResolver(writer: writer, reader: reader).decode(old)
        // Reordered, renamed through an alias, promoted, writer-only field skipped, enum default, defaults filled.
        #expect(try AvroJSON.encodeText(value, schema: reader) == #"{"status":"NEW","orderId":7,"tags":["a"],"total":null}"#)
    }

    @Test func unreadableBranchFailsOnlyForDataThatUsesIt() throws {
        let writer = try AvroSchema(parsing: #"["int","string"]"#), reader = try AvroSchema(parsing: #""long""#)
        let resolver = try AvroResolver(writer: writer, reader: reader)
        #expect(try resolver.decode([0x00, 0x04]) == .long(2))
        let error = #expect(throws: AvroError.self) { try resolver.decode([0x02, 0x02, 0x61]) }
        #expect(error?.message.contains("reader type long cannot read writer type string") == true, "\(String(describing: error))")
    }

    @Test func cachePlansEachPairOnce() throws {
        let writer = try AvroSchema(parsing: Self.v1), reader = try AvroSchema(parsing: Self.v2)
        var cache = AvroResolverCache()
        _ = try cache.resolver(writer: writer, reader: reader)
        _ = try cache.resolver(writer: writer, reader: reader)
        var made = 0
        _ = try cache.resolver(writerKey: "1", readerKey: "2") { () throws(AvroError) in
            made += 1; return try AvroResolver(writer: writer, reader: reader)
        }
        _ = try cache.resolver(writerKey: "1", readerKey: "2") { () throws(AvroError) in
            made += 1; return try AvroResolver(writer: writer, reader: reader)
        }
        #expect(cache.count == 2)
        #expect(made == 1)
    }

    @Test func recursiveSchemasResolve() throws {
        let writer = try AvroSchema(
            parsing: #"{"type":"record","name":"L","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","L"]}]}"#)
        let reader = try AvroSchema(
            parsing:
                #"{"type":"record","name":"L","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","L"]},{"name":"x","type":"int","default":0}]}"#
        )
        let bytes = try writer.encode(AvroJSON.decode(text: #"{"v":1,"next":{"L":{"v":2,"next":null}}}"#, schema: writer))
        let value = try AvroResolver(writer: writer, reader: reader).decode(bytes)
        #expect(try AvroJSON.encodeText(value, schema: reader) == #"{"v":1,"next":{"L":{"v":2,"next":null,"x":0}},"x":0}"#)
    }
}

@Suite struct ResolverReviewTests {
    /// Nested records whose cycle is `length` records long, all with the short name N.
    static func chain(_ prefix: String, _ length: Int) -> String {
        var inner = #""\#(prefix)0.N""#
        for i in stride(from: length - 1, through: 0, by: -1) {
            inner = #"{"type":"record","name":"N","namespace":"\#(prefix)\#(i)","fields":[{"name":"n","type":["null",\#(inner)]}]}"#
        }
        return inner
    }

    @Test func cyclesOfDifferentLengthsAreRefusedNotOverflowingTheStack() throws {
        let writer = try AvroSchema(parsing: Self.chain("w", 40))
        let reader = try AvroSchema(parsing: Self.chain("r", 41))
        let error = #expect(throws: AvroError.self) { try reader.incompatibilities(readingDataWrittenWith: writer) }
        #expect(error?.message.contains("pair up more than") == true)
        // Planning stops too (here at the union whose record branches cannot be compared): no crash, and
        // data that does not reach that place still reads.
        if let resolver = try? AvroResolver(writer: writer, reader: reader) {
            #expect(try resolver.decode([0x00]) == .record(["n": .union(branch: 0, .null)]))
        }
        // Equal cycles compare fine.
        #expect(try AvroSchema(parsing: Self.chain("r", 40)).canRead(dataWrittenWith: writer))
    }

    @Test func writerUnionBranchThatLoopsBackIsReadable() throws {
        let writer = try AvroSchema(
            parsing:
                #"{"type":"record","name":"Expr","fields":[{"name":"op","type":"string"},{"name":"args","type":{"type":"map","values":["Expr"]}}]}"#
        )
        let reader = try AvroSchema(
            parsing:
                #"{"type":"record","name":"Expr","fields":[{"name":"op","type":"string"},{"name":"args","type":{"type":"map","values":"Expr"}}]}"#
        )
        #expect(try reader.canRead(dataWrittenWith: writer))
        let bytes = try writer.encode(AvroJSON.decode(text: #"{"op":"+","args":{"a":{"Expr":{"op":"x","args":{}}}}}"#, schema: writer))
        let value = try AvroResolver(writer: writer, reader: reader).decode(bytes)
        #expect(try AvroJSON.encodeText(value, schema: reader) == #"{"op":"+","args":{"a":{"op":"x","args":{}}}}"#)
    }

    @Test func twoReaderFieldsReadingOneWriterFieldIsAnErrorNotAnInvalidValue() throws {
        let writer = try AvroSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#)
        let reader = try AvroSchema(
            parsing: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","aliases":["a"]}]}"#)
        let error = #expect(throws: AvroError.self) { try AvroResolver(writer: writer, reader: reader).decode([0x02]) }
        #expect(error?.message.contains("both read writer field 'a'") == true)
    }
}
