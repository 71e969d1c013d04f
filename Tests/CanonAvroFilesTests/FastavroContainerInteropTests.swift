import CanonAvro
import CanonAvroFiles
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// Container files written by Canon read by a real peer (fastavro, through `Tests/Interop/avro_peer.py`).
@Suite struct FastavroContainerInteropTests {
    static func latin1(_ bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// Container files Canon writes, with every codec, read by fastavro's reader.
    @Test(arguments: [AvroCodec.null, .deflate(), .snappy])
    func fastavroReadsCanonContainerFiles(_ codec: AvroCodec) throws {
        let schema = try AvroSchema(
            parsing:
                #"{"type":"record","name":"Reading","namespace":"test","fields":[{"name":"station","type":"string"},{"name":"time","type":"long"},{"name":"temp","type":"int"},{"name":"raw","type":"bytes"}]}"#
        )
        var writer = AvroContainerWriter(schema: schema, codec: codec, blockSize: 2000)
        var expected: [JSONValue] = []
        for i in 0..<3000 {
            let value = AvroValue.record([
                "station": .string("station-\(i % 13)-é"), "time": .long(Int64(i) * 3_600_000 - 1_000_000_000),
                "temp": .int(Int32(i % 90) - 40), "raw": .bytes([UInt8(i % 256), 0, 255]),
            ])
            try writer.append(value)
            expected.append(
                .object([
                    "station": .string("station-\(i % 13)-é"), "time": .int(Int64(i) * 3_600_000 - 1_000_000_000),
                    "temp": .int(Int64(i % 90) - 40), "raw": .string(Self.latin1([UInt8(i % 256), 0, 255])),
                ]))
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("canon-\(UUID().uuidString).avro")
        try Data(try writer.finish()).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let lines = try avroPeer(["read-container", file.path]).split(separator: "\n")
        let header = try JSONReader.parse(String(lines[0]))
        #expect(header["codec"]?.stringValue == codec.name)
        #expect(lines.count - 1 == expected.count)
        for (line, want) in zip(lines.dropFirst(), expected) {
            #expect(try JSONReader.parse(String(line)) == want)
        }
    }
}
