import CanonAvro
import CanonCore
import CanonTestSupport
import Testing

/// Level checks against the registry-level cases of `confluent-avro-compat-vectors.json` (transcribed from
/// confluentinc/schema-registry's tests; read from ../shared, never copied), and the level semantics.
@Suite struct CompatibilityLevelTests {
    struct Vector: CustomStringConvertible, Sendable {
        var name: String
        var level: CompatibilityLevel
        var new: JSONValue
        var previous: [JSONValue]
        var compatible: Bool
        var description: String { name }
    }

    static func vectors() throws -> [Vector] {
        guard case .array(let entries) = try TestData.json("confluent-avro-compat-vectors.json") else { return [] }
        return entries.map { e in
            guard case .array(let previous)? = e["previous_schemas"], case .bool(let compatible)? = e["compatible"],
                let level = e["level"]?.stringValue.flatMap(CompatibilityLevel.init(name:))
            else { fatalError("malformed vector \(e)") }
            return Vector(
                name: e["name"]?.stringValue ?? "", level: level, new: e["new_schema"]!, previous: previous, compatible: compatible)
        }
    }

    static func schema(_ json: JSONValue) throws -> AvroSchema {
        if case .string(let text) = json { return try AvroSchema(parsing: text) }
        return try AvroSchema(parsing: json.jsonText)
    }

    @Test func vectorFileHasEveryCase() throws {
        let all = try Self.vectors()
        #expect(all.count == 76)
        #expect(Set(all.map(\.level)).count == 7)
    }

    @Test(arguments: try vectors())
    func levelVerdictMatchesConfluent(_ v: Vector) throws {
        let result = try v.level.check(try Self.schema(v.new), against: try v.previous.map(Self.schema), using: AvroCompatibilityChecker())
        #expect(result.isCompatible == v.compatible, "\(result.messages)")
        #expect(result.messages.isEmpty == result.isCompatible)
    }

    static let v1 = #"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}]}"#
    static let v2 =
        #"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"},{"name":"f2","type":"string","default":"foo"}]}"#
    static let v3 = #"{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"},{"name":"f2","type":"string"}]}"#

    @Test func nonTransitiveLevelsCompareWithTheLatestOnly() throws {
        let (s1, s2, s3) = (try AvroSchema(parsing: Self.v1), try AvroSchema(parsing: Self.v2), try AvroSchema(parsing: Self.v3))
        // Add a field with a default, then drop the default: BACKWARD passes, BACKWARD_TRANSITIVE does not.
        #expect(try CompatibilityLevel.backward.check(s3, against: [s1, s2], using: AvroCompatibilityChecker()).isCompatible)
        let transitive = try CompatibilityLevel.backwardTransitive.check(s3, against: [s1, s2], using: AvroCompatibilityChecker())
        #expect(!transitive.isCompatible)
        #expect(
            transitive.messages == [
                "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'f2'}",
                "{oldSchemaVersion: 1}",
                "{oldSchema: '\(s1.fullRendering)'}",
                "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}",
            ])
        #expect(try CompatibilityLevel.none.check(s3, against: [s1], using: AvroCompatibilityChecker()).isCompatible)
    }

    @Test func forwardWordsTheOldSchemaAsTheReader() throws {
        let (s1, s3) = (try AvroSchema(parsing: Self.v3), try AvroSchema(parsing: Self.v1))
        let result = try CompatibilityLevel.forward.check(s3, against: [s1], versions: [7], using: AvroCompatibilityChecker())
        #expect(
            result.messages.first
                == "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path '/fields/1' in the old schema has no default value and is missing in the new schema', additionalInfo:'f2'}"
        )
        #expect(result.messages[1] == "{oldSchemaVersion: 7}")
    }

    @Test func transitiveChecksStopAtTheNewestFailingVersion() throws {
        let int = try AvroSchema(parsing: #"{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}"#)
        let long = try AvroSchema(parsing: #"{"type":"record","name":"r","fields":[{"name":"a","type":"long"}]}"#)
        let string = try AvroSchema(parsing: #"{"type":"record","name":"r","fields":[{"name":"a","type":"string"}]}"#)
        // FULL_TRANSITIVE of int against [string, long]: long fails first (newest first).
        let result = try CompatibilityLevel.fullTransitive.check(int, against: [string, long], using: AvroCompatibilityChecker())
        #expect(!result.isCompatible)
        #expect(result.messages.contains("{oldSchemaVersion: 2}"))
        #expect(result.messages.first?.contains("TYPE_MISMATCH") == true)
    }

    @Test func fullListsTheOldReadingTheNewFirstAsConfluentDoes() throws {
        let (s1, s2, s3) = (try AvroSchema(parsing: Self.v1), try AvroSchema(parsing: Self.v2), try AvroSchema(parsing: Self.v3))
        _ = s2
        // New v3 (f2 without default) against old v1: only the new-reads-old direction fails.
        let backward = try CompatibilityLevel.full.check(s3, against: [s1], using: AvroCompatibilityChecker())
        #expect(backward.messages.count == 4)
        #expect(backward.messages[1] == "{oldSchemaVersion: 1}")
        // New v1 against old v3: only the old-reads-new direction fails; Confluent adds no version lines then.
        let forward = try CompatibilityLevel.full.check(s1, against: [s3], using: AvroCompatibilityChecker())
        #expect(
            forward.messages == [
                "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path '/fields/1' in the old schema has no default value and is missing in the new schema', additionalInfo:'f2'}",
                "{validateFields: 'false', compatibility: 'FULL'}",
            ])
    }

    @Test func levelNamesParseCaseInsensitively() {
        #expect(CompatibilityLevel(name: "full_transitive") == .fullTransitive)
        #expect(CompatibilityLevel(name: "Backward") == .backward)
        #expect(CompatibilityLevel(name: "sideways") == nil)
    }
}
