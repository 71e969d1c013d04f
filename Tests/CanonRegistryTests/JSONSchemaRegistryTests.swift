import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import Testing

/// JSON Schema subjects: registered, identified, checked with Confluent's rules and validated at write
/// time through the same registry and validator as Avro.
@Suite struct JSONSchemaRegistryTests {
    static func setUp() async throws -> (Registry, SchemaCatalog) {
        let catalog = SchemaCatalog()
        let engine = try LogEngine(
            path: "/data", fileSystem: FaultInjectingFileSystem(), validator: RegistryRecordValidator(catalog: catalog))
        return (try await Registry(store: try await LogRegistryStore(log: engine), catalog: catalog), catalog)
    }

    static let order =
        #"{"title":"Order","type":"object","properties":{"id":{"type":"string"},"price":{"type":"number","minimum":0}},"required":["id"],"additionalProperties":false}"#

    @Test func aJSONSchemaIsRegisteredIdentifiedAndNormalizedAsConfluentDoes() async throws {
        let (registry, _) = try await Self.setUp()
        let v1 = try await registry.register(subject: "orders-value", schema: Self.order, schemaType: "json")
        #expect(v1.id == 1 && v1.version == 1 && v1.schemaType == .json)
        // The identity is the compact text, members in their order: whitespace does not matter...
        let spaced = Self.order.replacingOccurrences(of: ",", with: ", ")
        #expect(try await registry.register(subject: "orders-value", schema: spaced, schemaType: "JSON").id == 1)
        #expect(try await registry.lookup(subject: "orders-value", schema: spaced, schemaType: "JSON").version == 1)
        // ...member order does, unless normalize=true, which sorts every object's members.
        let reordered =
            #"{"type":"object","title":"Order","required":["id"],"properties":{"price":{"minimum":0,"type":"number"},"id":{"type":"string"}},"additionalProperties":false}"#
        await #expect(throws: RegistryError.self) {
            try await registry.lookup(subject: "orders-value", schema: reordered, schemaType: "JSON")
        }
        let normalized = try await registry.register(subject: "orders-value", schema: Self.order, schemaType: "JSON", normalize: true)
        #expect(normalized.schema.hasPrefix(#"{"additionalProperties":false,"properties":{"id":"#))
        #expect(
            try await registry.register(subject: "orders-value", schema: reordered, schemaType: "JSON", normalize: true).id == normalized.id
        )
        // Not JSON, or not a schema: 42201 naming what is wrong.
        let invalid = await #expect(throws: RegistryError.self) {
            try await registry.register(subject: "x-value", schema: #"{"type":"strin"}"#, schemaType: "JSON")
        }
        #expect(invalid?.code == 42201 && invalid?.message.contains("names no JSON type: 'strin'") == true)
    }

    @Test func compatibilityFollowsConfluentsRulesAndMessages() async throws {
        let (registry, _) = try await Self.setUp()
        let open = #"{"type":"object","properties":{"a":{"type":"string"}}}"#
        _ = try await registry.register(subject: "s", schema: open, schemaType: "JSON")
        // BACKWARD (the default): a property added to an open content model may clash with data already written.
        let refused = await #expect(throws: RegistryError.self) {
            try await registry.register(
                subject: "s", schema: #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#, schemaType: "JSON")
        }
        #expect(refused?.code == 409)
        #expect(
            refused?.message.contains(
                #"{errorType:"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", description:"The new schema has an open content model and has a property or item at path '#/properties/b' which is missing in the old schema"}"#
            ) == true, "\(refused?.message ?? "")")
        #expect(refused?.message.contains("{oldSchemaVersion: 1}") == true)
        // Widening a type is compatible; so is removing a property from an open model.
        let v2 = try await registry.register(
            subject: "s", schema: #"{"type":"object","properties":{"a":{"type":["string","null"]}}}"#, schemaType: "JSON")
        #expect(v2.version == 2)
        let verdict = try await registry.checkCompatibility(
            subject: "s", version: .latest, schema: #"{"type":"object","properties":{"a":{"type":"number"}}}"#, schemaType: "JSON")
        #expect(!verdict.isCompatible && verdict.messages.first?.contains("TYPE_CHANGED") == true)
        // A JSON schema after an Avro version: Confluent's one-line answer.
        _ = try await registry.register(subject: "mixed", schema: #""string""#)
        let mixed = try await registry.checkCompatibility(subject: "mixed", version: .latest, schema: open, schemaType: "JSON")
        #expect(mixed.messages.first == "Incompatible because of different schema type")
    }

    @Test func referencesResolveByTheirNames() async throws {
        let (registry, catalog) = try await Self.setUp()
        _ = try await registry.register(
            subject: "address", schema: #"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#,
            schemaType: "JSON")
        let customer = try await registry.register(
            subject: "customers-value", schema: #"{"title":"Customer","type":"object","properties":{"home":{"$ref":"address.json"}}}"#,
            schemaType: "JSON", references: [SchemaReference(name: "address.json", subject: "address", version: 1)])
        let rejections = try Self.validate(catalog, id: customer.id, #"{"home":{"town":"Berlin"}}"#)
        #expect(rejections.first?.path == "/home" && rejections.first?.reason.contains("'city' is missing") == true, "\(rejections)")
        #expect(try Self.validate(catalog, id: customer.id, #"{"home":{"city":"Berlin"}}"#).isEmpty)
        await #expect(throws: RegistryError.self) {
            try await registry.register(subject: "broken", schema: #"{"$ref":"missing.json"}"#, schemaType: "JSON")
        }
    }

    static func validate(
        _ catalog: SchemaCatalog, id: Int32, _ json: String, settings: [String: String] = ["value.schema.validation": "full"]
    )
        throws -> [RecordRejection]
    {
        RegistryRecordValidator(catalog: catalog).validate(
            topic: "customers", configuration: try TopicConfiguration(settings), partition: 0,
            records: [LogRecord(key: nil, value: ConfluentFraming.prefix(schemaID: id) + Array(json.utf8), timestamp: 0)])
    }

    @Test func fullValidationParsesStrictJSONAndNamesTheInstancePathAndKeyword() async throws {
        let (registry, catalog) = try await Self.setUp()
        let id = try await registry.register(subject: "orders-value", schema: Self.order, schemaType: "JSON").id
        func check(_ json: String) throws -> [RecordRejection] {
            RegistryRecordValidator(catalog: catalog).validate(
                topic: "orders", configuration: try TopicConfiguration(["value.schema.validation": "full"]), partition: 0,
                records: [LogRecord(key: nil, value: ConfluentFraming.prefix(schemaID: id) + Array(json.utf8), timestamp: 0)])
        }
        #expect(try check(#"{"id":"o-1","price":9.99}"#).isEmpty)
        let negative = try check(#"{"id":"o-1","price":-1}"#)
        #expect(negative.first?.path == "/price" && negative.first?.reason.contains("(keyword minimum)") == true, "\(negative)")
        #expect(negative.first?.code == RegistryRecordValidator.ReasonCode.payload && negative.first?.schemaID == id)
        let extra = try check(#"{"id":"o-1","coupon":"x"}"#)
        #expect(extra.first?.reason.contains("'coupon' is not allowed") == true)
        let notJSON = try check(#"{"id":"o-1",}"#)
        // The error is at the `}` after the comma: byte 12 of the JSON, 5 + 12 of the value.
        #expect(notJSON.first?.reason.contains("not JSON") == true && notJSON.first?.byteOffset == 5 + 12, "\(notJSON)")
        #expect(try check(#"{"id":"o-1","price":NaN}"#).first?.reason.contains("not JSON") == true)
        #expect(try check(#"{"id":"é漢😀"}"#).isEmpty)  // multi-byte UTF-8
        // Invalid UTF-8 is refused.
        let bytes = ConfluentFraming.prefix(schemaID: id) + Array(#"{"id":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let refused = RegistryRecordValidator(catalog: catalog).validate(
            topic: "orders", configuration: try TopicConfiguration(["value.schema.validation": "full"]), partition: 0,
            records: [LogRecord(key: nil, value: bytes, timestamp: 0)])
        #expect(refused.count == 1)
        // RecordNameStrategy takes the title.
        _ = try await registry.register(subject: "Order", schema: Self.order, schemaType: "JSON")
        #expect(
            try Self.validate(
                catalog, id: id, #"{"id":"o-1"}"#, settings: ["value.schema.validation": "full", "value.subject.name.strategy": "record"]
            ).isEmpty)
    }
}

@Suite struct CompatibilityPolicyTests {
    static let open = #"{"type":"object","properties":{"a":{"type":"string"}}}"#
    static let added = #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#

    @Test func aLenientPolicyAcceptsPropertiesAddedToAnOpenContentModelAndSurvivesARestart() async throws {
        let fs = FaultInjectingFileSystem()
        var engine = try LogEngine(path: "/data", fileSystem: fs)
        var registry = try await Registry(store: try await LogRegistryStore(log: engine))
        _ = try await registry.register(subject: "s", schema: Self.open, schemaType: "JSON")
        await #expect(throws: RegistryError.self) { try await registry.register(subject: "s", schema: Self.added, schemaType: "JSON") }
        try await registry.setCompatibilityPolicy(.lenient, subject: "s")
        #expect(try await registry.register(subject: "s", schema: Self.added, schemaType: "JSON").version == 2)
        // The global policy is what subjects without their own get.
        _ = try await registry.register(subject: "t", schema: Self.open, schemaType: "JSON")
        #expect(await registry.compatibilityPolicy(subject: "t", defaultToGlobal: true) == nil)
        try await registry.setCompatibilityPolicy(.lenient, subject: nil)
        #expect(await registry.compatibilityPolicy(subject: "t", defaultToGlobal: true) == .lenient)
        #expect(try await registry.register(subject: "t", schema: Self.added, schemaType: "JSON").version == 2)
        // Policies are events: a restart keeps them.
        await engine.shutdown()
        engine = try LogEngine(path: "/data", fileSystem: fs)
        registry = try await Registry(store: try await LogRegistryStore(log: engine))
        #expect(await registry.compatibilityPolicy(subject: "s") == .lenient)
        #expect(await registry.compatibilityPolicy(subject: nil) == .lenient)
        // Deleting a subject's config removes its policy too.
        try await registry.setCompatibility(.backward, subject: "s")
        _ = try await registry.deleteCompatibility(subject: "s")
        #expect(await registry.compatibilityPolicy(subject: "s") == nil)
        await engine.shutdown()
    }
}

/// What review asked to see shown: references by version and by `$id`, replay after a restart.
@Suite struct JSONSchemaReferenceTests {
    @Test func eachVersionComparesWithTheReferencedVersionItPinned() async throws {
        let fs = FaultInjectingFileSystem()
        var engine = try LogEngine(path: "/data", fileSystem: fs)
        var registry = try await Registry(store: try await LogRegistryStore(log: engine))
        try await registry.setCompatibility(.none, subject: "address")
        _ = try await registry.register(
            subject: "address", schema: #"{"type":"object","properties":{"zip":{"type":"string"}}}"#, schemaType: "JSON")
        _ = try await registry.register(
            subject: "address", schema: #"{"type":"object","properties":{"zip":{"type":"integer"}}}"#, schemaType: "JSON")
        let customer = #"{"type":"object","properties":{"home":{"$ref":"address.json"}}}"#
        _ = try await registry.register(
            subject: "customer-value", schema: customer, schemaType: "JSON",
            references: [SchemaReference(name: "address.json", subject: "address", version: 1)])
        // The same text pinned to address v2: the zip's type changes under the reference.
        let refused = await #expect(throws: RegistryError.self) {
            try await registry.register(
                subject: "customer-value", schema: customer, schemaType: "JSON",
                references: [SchemaReference(name: "address.json", subject: "address", version: 2)])
        }
        #expect(
            refused?.code == 409 && refused?.message.contains("TYPE_CHANGED") == true
                && refused?.message.contains("#/properties/home/properties/zip") == true,
            "\(refused?.message ?? "")")
        // A reference named by an absolute URI, used relative to the schema's $id.
        _ = try await registry.register(subject: "b", schema: #"{"type":"string"}"#, schemaType: "JSON")
        let a = #"{"$id":"http://example.com/a.json","type":"object","properties":{"b":{"$ref":"b.json"}}}"#
        let reference = [SchemaReference(name: "http://example.com/b.json", subject: "b", version: 1)]
        _ = try await registry.register(subject: "a", schema: a, schemaType: "JSON", references: reference)
        let verdict = try await registry.checkCompatibility(
            subject: "a", version: .latest,
            schema: #"{"$id":"http://example.com/a.json","type":"object","properties":{"b":{"$ref":"b.json"},"c":{}}}"#,
            schemaType: "JSON", references: reference)
        #expect(verdict.isCompatible)
        // After a restart the JSON subjects replay, and write-time validation still has their schemas.
        await engine.shutdown()
        let catalog = SchemaCatalog()
        engine = try LogEngine(path: "/data", fileSystem: fs, validator: RegistryRecordValidator(catalog: catalog))
        registry = try await Registry(store: try await LogRegistryStore(log: engine), catalog: catalog)
        let id = try await registry.version(.latest, of: "customer-value").id
        let rejected = RegistryRecordValidator(catalog: catalog).validate(
            topic: "customer", configuration: try TopicConfiguration(["value.schema.validation": "full"]), partition: 0,
            records: [LogRecord(key: nil, value: ConfluentFraming.prefix(schemaID: id) + Array(#"{"home":{"zip":5}}"#.utf8), timestamp: 0)])
        #expect(rejected.first?.path == "/home/zip", "\(rejected)")
        await engine.shutdown()
    }
}
