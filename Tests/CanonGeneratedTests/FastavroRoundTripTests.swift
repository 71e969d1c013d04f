import CanonAvro
import CanonCore
import CanonTestSupport
import Foundation
import Testing

/// A generated record type, with its codec behind closures so that tests can take every type as an
/// argument. (`String`, `Date`, `Data` and `Type` are generated types in this module: the golden
/// schemas shadow them on purpose, so this file spells the library types in full.)
struct GeneratedType: CustomStringConvertible, Sendable {
    let description: Swift.String
    let schema: Swift.String
    let fingerprint: Int64
    /// Decodes, re-encodes, decodes again: the re-encoded bytes, and whether the value read back equals
    /// the first (`nil` when the value holds a NaN, which equals nothing).
    let roundTrip: @Sendable ([UInt8]) throws -> (bytes: [UInt8], equal: Bool?)

    init<T: AvroRecord>(_ type: T.Type) {
        description = "\(T.self)"
        schema = T.avroSchema
        fingerprint = T.parsingCanonicalFormFingerprint
        roundTrip = { bytes in
            let value = try T(avroBinary: bytes)
            let out = try value.avroBinary()
            let back = try T(avroBinary: out)
            return (out, value == value ? back == value : nil)
        }
    }

    static let all: [GeneratedType] = [
        GeneratedType(Everything.self), GeneratedType(Inner.self), GeneratedType(LogicalTypes.self), GeneratedType(TreeNode.self),
        GeneratedType(Note.self), GeneratedType(Type.self), GeneratedType(Date.self), GeneratedType(Data.self), GeneratedType(String.self),
        GeneratedType(BillingAddress.self), GeneratedType(ShippingAddress.self), GeneratedType(Party.self), GeneratedType(Money.self),
        GeneratedType(Customer.self), GeneratedType(Order.self), GeneratedType(OrderLine.self),
        GeneratedType(Edge.self), GeneratedType(Empty.self), GeneratedType(W.self), GeneratedType(Tree.self), GeneratedType(Leaf.self),
        GeneratedType(Failure.self),
    ]
}

/// Random datums written by a peer no one here wrote (fastavro, via `Tests/Interop/avro_peer.py`: maps with
/// several keys, ±2^63 longs, extreme doubles and floats, uuids, timestamps over the whole `long` range,
/// decimals at full precision, durations, big decimals) decode into the generated types and re-encode to
/// the identical bytes.
@Suite struct FastavroRoundTripTests {
    @Test(arguments: GeneratedType.all)
    func fastavroDatumsDecodeAndReencodeToTheSameBytes(_ type: GeneratedType) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canon-generated-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let schemaFile = dir.appendingPathComponent("\(type).avsc")
        try Foundation.Data(type.schema.utf8).write(to: schemaFile)
        let generic = try AvroSchema(parsing: type.schema)
        #expect(Int64(bitPattern: generic.rabinFingerprint) == type.fingerprint)

        let output = try avroPeer(["generate", "--schema", schemaFile.path, "--count", "300", "--seed", "4"])
        var decoded = 0, outOfDateRange = 0
        for line in output.split(separator: "\n") {
            let row = try JSONReader.parse(Swift.String(line))
            let bytes = TestData.hexBytes(try #require(row["hex"]?.stringValue))
            do {
                let (again, equal) = try type.roundTrip(bytes)
                #expect(again == bytes, "\(type): re-encoding changed the bytes of \(row["json"]?.stringValue ?? "")")
                if let equal { #expect(equal, "\(type): the value read back differs") }
                decoded += 1
            } catch let error as AvroError {
                // The one refusal allowed: a timestamp-millis further than Date holds exactly. The datum is
                // valid Avro all the same.
                #expect(error.message.contains("timestamp-millis"), "\(type): \(error)")
                _ = try generic.decode(bytes)
                outOfDateRange += 1
            }
        }
        #expect(decoded + outOfDateRange == 300)
        #expect(decoded >= 200, "\(type): only \(decoded) of 300 datums decoded")
    }
}
