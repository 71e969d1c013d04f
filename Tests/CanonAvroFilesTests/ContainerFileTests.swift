import CanonAvro
import CanonAvroFiles
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// Object container files from apache/avro's `share/test/data` and round trips through the writer.
@Suite struct ContainerFileTests {
    static let data = TestData.apacheShare.appendingPathComponent("data")

    static func read(_ name: String) throws -> AvroContainerReader {
        try AvroContainerReader(bytes: Array(Data(contentsOf: data.appendingPathComponent(name))))
    }

    /// `weather.json`: one JSON object per line.
    static func weatherJSON() throws -> [JSONValue] {
        try TestData.text(data.appendingPathComponent("weather.json"))
            .split(separator: "\n").map { try JSONReader.parse(String($0)) }
    }

    @Test(arguments: ["weather.avro", "weather-deflate.avro", "weather-snappy.avro"])
    func weatherFilesDecodeToWeatherJSON(_ file: String) throws {
        let reader = try Self.read(file)
        #expect(reader.schema.rootNode.name?.fullName == "test.Weather")
        let records = try reader.readAll().map { try AvroJSON.encode($0, schema: reader.schema) }
        #expect(records == (try Self.weatherJSON()))
    }

    @Test func codecsAreReadFromTheHeader() throws {
        #expect(try Self.read("weather.avro").codec == .null)
        #expect(try Self.read("weather-deflate.avro").codec == .deflate())
        #expect(try Self.read("weather-snappy.avro").codec == .snappy)
    }

    @Test func sortedWeatherFileHoldsTheSameRecords() throws {
        let reader = try Self.read("weather-sorted.avro")
        let records = try reader.readAll().map { try AvroJSON.encode($0, schema: reader.schema).jsonText }
        #expect(records.sorted() == (try Self.weatherJSON()).map(\.jsonText).sorted())
    }

    @Test func zstandardFileGetsTheUnsupportedCodecError() throws {
        let error = try #require(throws: AvroError.self) { try Self.read("weather-zstd.avro") }
        #expect(error.code == .unsupportedCodec)
        #expect(error.message.contains("'zstandard'"))
    }

    @Test func legacyAvro12FileIsRejectedClearly() throws {
        let error = try #require(throws: AvroError.self) { try Self.read("test.avro12") }
        #expect(error.code == .invalidContainer)
        #expect(error.message.contains("legacy Avro 1.2"))
    }

    @Test func syncMarkerInMetadataDoesNotConfuseTheReader() throws {
        let reader = try Self.read("syncInMeta.avro")
        #expect(reader.metadata("avro.sync") == reader.syncMarker)
        let records = try reader.readAll()
        #expect(records.count == 6001)
        #expect(records.first?["First"] == .string("Dante"))
    }

    @Test(arguments: ["simple", "withUnion"])
    func commonSchemaFilesDecodeAndRewriteIdentically(_ folder: String) throws {
        let dir = Self.data.appendingPathComponent("schemas/\(folder)")
        let reader = try AvroContainerReader(bytes: Array(Data(contentsOf: dir.appendingPathComponent("data.avro"))))
        let schema = try AvroSchema(parsing: TestData.text(dir.appendingPathComponent("schema.json")))
        #expect(reader.schema.canonicalForm == schema.canonicalForm)
        let records = try reader.readAll()
        #expect(!records.isEmpty)
        var writer = AvroContainerWriter(schema: schema, codec: .deflate())
        for r in records { try writer.append(r) }
        #expect(try AvroContainerReader(bytes: writer.finish()).readAll() == records)
    }

    @Test(arguments: [AvroCodec.null, .deflate(), .deflate(level: 0), .snappy])
    func writtenFilesReadBackWithEveryCodec(_ codec: AvroCodec) throws {
        let schema = try AvroSchema(parsing: TestData.text(TestData.apacheShare.appendingPathComponent("schemas/weather.avsc")))
        var writer = AvroContainerWriter(schema: schema, codec: codec, metadata: [("user.note", [0xFF, 0x00])], blockSize: 100)
        var expected: [AvroValue] = []
        for i in 0..<500 {
            let value = AvroValue.record([
                "station": .string("station-\(i % 7)"), "time": .long(Int64(i) * 1_000_000), "temp": .int(Int32(i % 50) - 25),
            ])
            expected.append(value)
            try writer.append(value)
        }
        let bytes = try writer.finish()
        let reader = try AvroContainerReader(bytes: bytes)
        #expect(reader.codec.name == codec.name)
        #expect(reader.metadata("user.note") == [0xFF, 0x00])
        #expect(try reader.readAll() == expected)
    }

    @Test func corruptedSyncMarkerIsReportedWithItsOffset() throws {
        let schema = try AvroSchema(parsing: #""long""#)
        var writer = AvroContainerWriter(schema: schema, syncMarker: Array(repeating: 0xAB, count: 16))
        try writer.append(.long(1))
        var bytes = try writer.finish()
        bytes[bytes.count - 1] ^= 0xFF
        let error = try #require(throws: AvroError.self) { try AvroContainerReader(bytes: bytes).readAll() }
        #expect(error.message.contains("sync marker"))
        #expect(error.location.byteOffset == bytes.count - 16)
    }

    @Test func truncatedFilesFailWithoutCrashing() throws {
        let bytes = Array(try Data(contentsOf: Self.data.appendingPathComponent("weather-snappy.avro")))
        let full = try AvroContainerReader(bytes: bytes).readAll()
        var failures = 0
        for length in 0..<bytes.count {
            do {
                // A cut exactly between blocks is a valid, shorter file.
                let records = try AvroContainerReader(bytes: Array(bytes[..<length])).readAll()
                #expect(records.count < full.count && Array(full.prefix(records.count)) == records)
            } catch {
                failures += 1
            }
        }
        #expect(failures >= bytes.count - 2)
    }

    @Test func mutatedCompressedBlocksFailWithoutCrashing() throws {
        for file in ["weather-deflate.avro", "weather-snappy.avro"] {
            let bytes = Array(try Data(contentsOf: Self.data.appendingPathComponent(file)))
            var rng = SplitMix64(state: 7)
            for _ in 0..<300 {
                var mutated = bytes
                let i = Int(rng.next() % UInt64(bytes.count))
                mutated[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                _ = try? AvroContainerReader(bytes: mutated).readAll()
            }
        }
    }

    @Test func singleObjectExampleDecodes() throws {
        let dir = Self.data.appendingPathComponent("messageV1")
        let schema = try AvroSchema(parsing: TestData.text(dir.appendingPathComponent("test_schema.avsc")))
        let message = Array(try Data(contentsOf: dir.appendingPathComponent("test_message.bin")))
        #expect(TestData.hex(AvroSingleObject.header(fingerprint: schema.rabinFingerprint)) == "c301a92de1f8a242f53d")
        let value = try AvroSingleObject.decode(message, schema: schema)
        #expect(try AvroJSON.encodeText(value, schema: schema) == #"{"id":42,"name":"Bill","tags":["dog_lover","cat_hater"]}"#)
        #expect(try AvroSingleObject.encode(value, schema: schema) == message)
    }

    @Test func singleObjectHeaderForIntMatchesRuby() throws {
        let schema = try AvroSchema(parsing: #""int""#)
        #expect(TestData.hex(AvroSingleObject.header(fingerprint: schema.rabinFingerprint)) == "c3018f5c393f1ad57572")
    }

    @Test func singleObjectWithAnotherFingerprintOrMarkerIsRefused() throws {
        let schema = try AvroSchema(parsing: #""int""#)
        let other = try AvroSchema(parsing: #""long""#)
        let message = try AvroSingleObject.encode(.int(5), schema: other)
        #expect(throws: AvroError.self) { try AvroSingleObject.decode(message, schema: schema) }
        #expect(throws: AvroError.self) { try AvroSingleObject.decode([0x00, 0x01] + message.dropFirst(2), schema: other) }
        #expect(throws: AvroError.self) { try AvroSingleObject.decode([0xC3, 0x01, 0x00], schema: other) }
    }
}

@Suite struct ContainerAmplificationTests {
    /// A container of `blocks` blocks, each claiming `count` datums in `data`.
    static func container(schema: String, blocks: Int, count: Int, data: [UInt8] = []) -> [UInt8] {
        var w = AvroBinaryWriter()
        w.writeFixed([0x4F, 0x62, 0x6A, 0x01])
        w.writeBlockCount(1)
        w.writeString("avro.schema")
        w.writeBytes(Array(schema.utf8))
        w.writeLong(0)
        let sync = [UInt8](repeating: 7, count: 16)
        w.writeFixed(sync)
        for _ in 0..<blocks {
            w.writeLong(Int64(count))
            w.writeLong(Int64(data.count))
            w.writeFixed(data)
            w.writeFixed(sync)
        }
        return w.bytes
    }

    @Test func zeroByteDatumsCannotMultiplyAcrossBlocks() throws {
        let bytes = Self.container(schema: #""null""#, blocks: 200, count: 4_000_000)
        let error = #expect(throws: AvroError.self) {
            try AvroContainerReader(bytes: bytes, limits: AvroDecodingLimits(maxCollectionItems: 100_000)).forEach { _ in }
        }
        #expect(error?.code == .limitExceeded)
    }

    @Test func aBlockCannotExpandBeyondTheSizeLimit() throws {
        // Nested records ending in null: each zero-byte datum decodes to many records.
        var schema = #"{"type":"record","name":"L0","fields":[{"name":"n","type":"null"}]}"#
        for i in 1...12 {
            schema = #"{"type":"record","name":"L\#(i)","fields":[{"name":"a","type":\#(schema)},{"name":"b","type":"L\#(i - 1)"}]}"#
        }
        let bytes = Self.container(schema: schema, blocks: 1, count: 4_000_000)
        let error = #expect(throws: AvroError.self) { try AvroContainerReader(bytes: bytes).forEach { _ in } }
        #expect(error?.code == .limitExceeded)
    }
}
