import CanonAvro
import CanonCore
import CanonTestSupport
import Testing

/// Reader/writer verdicts against `avro-compat-vectors.json`: cases transcribed from apache/avro's Java,
/// Python and Ruby tests, each with the verdict of Apache Avro's current checker (the Python port of
/// Java's `SchemaCompatibility`).
@Suite struct CompatibilityVectorTests {
    struct Vector: CustomStringConvertible, Sendable {
        var index: Int
        var name: String
        var reader: JSONValue
        var writer: JSONValue
        var sourceVerdict: Bool
        var checkerVerdict: Bool
        var agrees: Bool
        var explanation: String?
        /// Java sources: (type, location, message).
        var expectedIncompatibilities: [(String, String, String)]
        var description: String { "#\(index) \(name)" }
    }

    static func vectors() throws -> [Vector] {
        guard case .array(let entries) = try TestData.json("avro-compat-vectors.json") else { return [] }
        return entries.enumerated().map { i, e in
            var expected: [(String, String, String)] = []
            if case .array(let list)? = e["expected_incompatibilities"] {
                expected = list.map { ($0["type"]?.stringValue ?? "", $0["location"]?.stringValue ?? "", $0["message"]?.stringValue ?? "") }
            }
            guard case .bool(let source)? = e["compatible"], case .bool(let checker)? = e["python_avro_checker"]?["compatible"],
                case .bool(let agrees)? = e["python_avro_agrees"]
            else { fatalError("malformed vector \(i)") }
            return Vector(
                index: i, name: e["name"]?.stringValue ?? "", reader: e["reader"]!, writer: e["writer"]!,
                sourceVerdict: source, checkerVerdict: checker, agrees: agrees,
                explanation: e["disagreement_explanation"]?.stringValue, expectedIncompatibilities: expected)
        }
    }

    @Test func vectorFileHasEveryCase() throws {
        let all = try Self.vectors()
        #expect(all.count == 546)
        #expect(all.filter { !$0.agrees }.count == 13)
    }

    @Test(arguments: try vectors())
    func verdictMatchesApacheAvrosChecker(_ v: Vector) throws {
        let reader = try AvroSchema(parsing: v.reader.jsonText)
        let writer = try AvroSchema(parsing: v.writer.jsonText)
        let found = try reader.incompatibilities(readingDataWrittenWith: writer)
        #expect(found.isEmpty == v.checkerVerdict, "\(found)")
        if !v.agrees {
            // The source asserts the other verdict: Ruby's decimal rule, Ruby's full-name matching, or Java's
            // old grammar-based validator that ignores record names. Canon follows Java's SchemaCompatibility,
            // the checker Confluent Schema Registry runs.
            #expect(v.sourceVerdict != v.checkerVerdict)
            #expect(v.explanation?.isEmpty == false)
        }
        if !v.expectedIncompatibilities.isEmpty {
            let got = found.map { "\($0.kind.rawValue) \($0.location) \($0.message)" }
            let want = v.expectedIncompatibilities.map { "\($0.0) \($0.1) \($0.2)" }
            #expect(got.sorted() == want.sorted())
        }
    }
}
