import CanonAvro
import CanonCore
import Foundation
import CanonTestSupport
import Testing

/// Parsing Canonical Form and fingerprints against apache/avro's `schema-tests.txt` and the Python
/// `FINGERPRINT_EXAMPLES` (both in `../shared/testdata/avro`).
@Suite struct FingerprintVectorTests {
    struct Vector: CustomStringConvertible {
        var id: String
        var input: String
        var canonical: String
        var rabinSigned: Int64?
        var md5: String?
        var sha256: String?
        var description: String { id }
    }

    static func vectors() throws -> [Vector] {
        let json = try TestData.json("avro-canonical-form-fingerprint-vectors.json")
        var out: [Vector] = []
        for (group, key) in [("schema-tests", "schema_tests"), ("python", "python_fingerprint_examples")] {
            guard case .array(let entries)? = json[key] else { continue }
            for (i, e) in entries.enumerated() {
                out.append(
                    Vector(
                        id: "\(group) \(e["id"]?.stringValue ?? String(i))",
                        input: e["input"]!.stringValue!, canonical: e["canonical"]!.stringValue!,
                        rabinSigned: e["crc64_avro_signed"]?.int64Value,
                        md5: e["md5_hex"]?.stringValue, sha256: e["sha256_hex"]?.stringValue))
            }
        }
        return out
    }

    @Test func vectorFileHasBothGroups() throws {
        let all = try Self.vectors()
        #expect(all.filter { $0.id.hasPrefix("schema-tests") }.count == 34)
        #expect(all.filter { $0.id.hasPrefix("python") }.count == 33)
    }

    /// Python avro writes a named type in full at every occurrence; Java (`SchemaNormalization`), the
    /// PigValue case of `schema-tests.txt` and Canon write it once and refer to it by full name after.
    static let pythonOnlyCanonicalForms: [String: String] = [
        #"{"name":"org.apache.avro.ipc.HandshakeRequest","type":"record","fields":[{"name":"clientHash","type":{"name":"org.apache.avro.ipc.MD5","type":"fixed","size":16}},{"name":"clientProtocol","type":["null","string"]},{"name":"serverHash","type":{"name":"org.apache.avro.ipc.MD5","type":"fixed","size":16}},{"name":"meta","type":["null",{"type":"map","values":"bytes"}]}]}"#:
            #"{"name":"org.apache.avro.ipc.HandshakeRequest","type":"record","fields":[{"name":"clientHash","type":{"name":"org.apache.avro.ipc.MD5","type":"fixed","size":16}},{"name":"clientProtocol","type":["null","string"]},{"name":"serverHash","type":"org.apache.avro.ipc.MD5"},{"name":"meta","type":["null",{"type":"map","values":"bytes"}]}]}"#
    ]

    @Test(arguments: try vectors())
    func canonicalFormAndFingerprintsMatch(_ v: Vector) throws {
        let schema = try AvroSchema(parsing: v.input)
        if let javaForm = Self.pythonOnlyCanonicalForms[v.canonical] {
            #expect(schema.canonicalForm == javaForm)
            return
        }
        #expect(schema.canonicalForm == v.canonical)
        if let rabin = v.rabinSigned {
            #expect(Int64(bitPattern: schema.rabinFingerprint) == rabin)
        }
        if let md5 = v.md5 { #expect(TestData.hex(schema.fingerprint(.md5)) == md5) }
        if let sha = v.sha256 { #expect(TestData.hex(schema.fingerprint(.sha256)) == sha) }
    }

    /// Reads `schema-tests.txt` itself (the `<<INPUT`, `<<canonical`, `<<fingerprint` format, with heredocs).
    static func schemaTestsFile() throws -> [Vector] {
        let text = try TestData.text(TestData.apacheShare.appendingPathComponent("data/schema-tests.txt"))
        var vectors: [Vector] = []
        var current: [String: String] = [:]
        var id = ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
        func flush() {
            if let input = current["INPUT"], let canonical = current["canonical"] {
                vectors.append(
                    Vector(id: "file \(id)", input: input, canonical: canonical, rabinSigned: current["fingerprint"].flatMap { Int64($0) }))
            }
            current = [:]
        }
        while let line = lines.next() {
            if line.hasPrefix("// ") && line.dropFirst(3).allSatisfy(\.isNumber) {
                flush()
                id = String(line.dropFirst(3))
            } else if line.hasPrefix("<<") {
                let rest = line.dropFirst(2)
                let parts = rest.split(separator: " ", maxSplits: 1)
                let key = String(parts[0])
                if parts.count == 2 {
                    current[key] = String(parts[1])
                } else {
                    // Heredoc: lines up to one equal to the key.
                    var body: [Substring] = []
                    while let l = lines.next(), l != key { body.append(l) }
                    current[key] = body.joined(separator: "\n")
                }
            }
        }
        flush()
        return vectors
    }

    @Test func schemaTestsFileHasEveryCase() throws {
        let vectors = try Self.schemaTestsFile()
        #expect(vectors.count == 34)
        #expect(vectors.filter { $0.rabinSigned != nil }.count == 26)
    }

    @Test(arguments: try schemaTestsFile())
    func schemaTestsFileCaseMatches(_ v: Vector) throws {
        let schema = try AvroSchema(parsing: v.input)
        #expect(schema.canonicalForm == v.canonical)
        if let rabin = v.rabinSigned {
            #expect(Int64(bitPattern: schema.rabinFingerprint) == rabin)
        }
    }

    @Test func interopSchemaFingerprintMatchesPython() throws {
        let text = try TestData.text(TestData.apacheShare.appendingPathComponent("schemas/interop.avsc"))
        let schema = try AvroSchema(parsing: text)
        #expect(TestData.hex(schema.fingerprint(.rabin)) == "e82c0a93a6a0b5a4")
    }

    @Test func rabinOfNoBytesIsTheEmptyValue() {
        #expect(AvroFingerprint.rabin([UInt8]()) == AvroFingerprint.empty)
    }
}
