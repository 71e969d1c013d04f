import CanonAvro
import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import CanonTestSupport
import Testing

@Suite struct FormatSeamTests {
    static func registry(_ formats: [any SchemaFormat] = [AvroFormat(), WordsFormat()]) async throws -> (Registry, SchemaCatalog) {
        var configuration = Registry.Configuration()
        configuration.formats = SchemaFormats(formats)
        let catalog = SchemaCatalog()
        let engine = try LogEngine(
            path: "/data", fileSystem: FaultInjectingFileSystem(), validator: RegistryRecordValidator(catalog: catalog))
        return (try await Registry(store: try await LogRegistryStore(log: engine), configuration: configuration, catalog: catalog), catalog)
    }

    @Test func schemaTypesAreConfluentNamesWithAvroWhenAbsent() {
        #expect(SchemaType(confluentName: nil) == .avro)
        #expect(SchemaType(confluentName: "json") == .json && SchemaType(confluentName: "Protobuf") == .protobuf)
        #expect(SchemaType.avro.confluentName == nil && SchemaType.json.confluentName == "JSON")
        let formats = SchemaFormats([AvroFormat(), WordsFormat()])
        #expect(formats.types == [.avro, "WORDS"])
        #expect(formats.format(restProxyName: "wordstext")?.type == "WORDS" && formats[.json] == nil)
    }

    @Test func aFormatPluggedInIsRegisteredIdentifiedAndCheckedByTheRegistryUnchanged() async throws {
        let (registry, _) = try await Self.registry()
        let v1 = try await registry.register(
            subject: "greeting-value", schema: #"{"words":["hi","hello"],"name":"Greeting"}"#, schemaType: "words")
        #expect(v1.id == 1 && v1.version == 1 && v1.schemaType == "WORDS")
        #expect(v1.schema == #"{"name":"Greeting","words":["hello","hi"]}"#)  // the format's identity text
        // The same schema written differently is the same version; lookups go through the format too.
        let again = try await registry.register(
            subject: "greeting-value", schema: #"{"name":"Greeting","words":["hi","hello"]}"#, schemaType: "WORDS")
        #expect(again == v1)
        #expect(
            try await registry.lookup(
                subject: "greeting-value", schema: #"{"name":"Greeting","words":["hello","hi"]}"#, schemaType: "WORDS"
            ).id == 1)
        // Compatibility is the format's (BACKWARD: the new schema reads the old one's data).
        let refused = await #expect(throws: RegistryError.self) {
            try await registry.register(subject: "greeting-value", schema: #"{"name":"Greeting","words":["hi"]}"#, schemaType: "WORDS")
        }
        #expect(refused?.code == 409 && refused?.message.contains("WORD_MISSING") == true && refused?.message.contains("'hello'") == true)
        let v2 = try await registry.register(
            subject: "greeting-value", schema: #"{"name":"Greeting","words":["hi","hello","hey"]}"#, schemaType: "WORDS")
        #expect(v2.version == 2 && v2.id == 2)
        // A schema of another format under the same subject is incompatible, saying so.
        let mixed = await #expect(throws: RegistryError.self) {
            try await registry.register(subject: "greeting-value", schema: #""string""#)
        }
        #expect(mixed?.code == 409 && mixed?.message.contains("different schema type") == true)
        // References are loaded through the format's parser.
        let withReference = try await registry.register(
            subject: "more-value", schema: #"{"name":"More","words":["yo"]}"#, schemaType: "WORDS",
            references: [SchemaReference(name: "g", subject: "greeting-value", version: 2)])
        #expect(try await registry.schema(id: withReference.id).references.count == 1)
    }

    @Test func aFormatNotServedIs42201NamingWhatIs() async throws {
        let (registry, _) = try await Self.registry([AvroFormat()])
        let error = await #expect(throws: RegistryError.self) {
            try await registry.register(subject: "s", schema: #"{"name":"G","words":[]}"#, schemaType: "WORDS")
        }
        #expect(error?.code == 42201 && error?.message.contains("schemaType WORDS is not supported (supported: AVRO)") == true)
    }

    @Test func writeTimeValidationUsesTheWriterSchemasFormat() async throws {
        let (registry, catalog) = try await Self.registry()
        let id = try await registry.register(subject: "greeting-value", schema: #"{"name":"Greeting","words":["hi"]}"#, schemaType: "WORDS")
            .id
        func check(_ word: String, _ settings: [String: String]) throws -> [RecordRejection] {
            RegistryRecordValidator(catalog: catalog).validate(
                topic: "greeting", configuration: try TopicConfiguration(settings), partition: 0,
                records: [LogRecord(key: nil, value: ConfluentFraming.prefix(schemaID: id) + Array(word.utf8), timestamp: 0)])
        }
        let full = ["value.schema.validation": "full"]
        #expect(try check("hi", full).isEmpty)
        let refused = try check("bye", full)
        #expect(
            refused.count == 1 && refused[0].reason == "'bye' is not a word of Greeting" && refused[0].byteOffset == 5
                && refused[0].path == "$")
        #expect(try check("bye", ["value.schema.validation": "id"]).isEmpty)  // `id` only reads the frame
        // RecordNameStrategy takes the format's record name.
        #expect(
            try check("hi", full.merging(["value.subject.name.strategy": "record"]) { $1 }).first?.reason.contains("'Greeting'") == true)
    }
}
