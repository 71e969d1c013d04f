import CanonCodegen
import CanonCore
import Testing

/// Which subject each schema file of a target belongs to, and the references between them.
@Suite struct SchemaMappingTests {
    static let address = SourceFile(
        path: "schemas/Address.avsc",
        contents: #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}"#)
    static let customer = SourceFile(
        path: "schemas/Customer.avsc",
        contents:
            #"{"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"tier","type":{"type":"enum","name":"Tier","symbols":["A","B"]}}]}"#
    )
    static let order = SourceFile(
        path: "schemas/Order.avsc",
        contents:
            #"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"buyer","type":"Customer"},{"name":"ship","type":"Address"},{"name":"tier","type":"com.acme.Tier"}]}"#
    )
    static let unused = SourceFile(path: "extra/Unused.avsc", contents: #"{"type":"record","name":"Unused","fields":[]}"#)

    static func config(_ text: String) throws -> CodegenConfig { try CodegenConfig(parsing: text) }

    @Test func topicsMapKeysAndValuesAndUsedFilesGetTheirTypeNameReferencedFirst() throws {
        let config = try Self.config(#"{"topics":[{"topic":"orders","key":"string","value":"Order"}]}"#)
        // Input order is the reverse of the dependency order: the mapping sorts it.
        let mapping = try SchemaMapping(
            config: config, configPath: "canon-codegen.json", files: [Self.order, Self.unused, Self.customer, Self.address])
        #expect(mapping.entries.map(\.subject) == ["orders-key", "com.acme.Address", "com.acme.Customer", "orders-value"])
        #expect(mapping.entries[0].file == nil && mapping.entries[0].schema == #""string""#)
        #expect(mapping.entries[1].origin == "used by schemas/Customer.avsc" || mapping.entries[1].origin == "used by schemas/Order.avsc")
        let order = try #require(mapping.entries.last)
        #expect(order.file == "schemas/Order.avsc")
        #expect(order.schema == Self.order.contents)  // registered as written: references stay references
        // One reference per file used, by its top-level type's full name (Tier is defined in Customer.avsc).
        #expect(
            order.references == [
                .init(name: "com.acme.Address", subject: "com.acme.Address", file: "schemas/Address.avsc"),
                .init(name: "com.acme.Customer", subject: "com.acme.Customer", file: "schemas/Customer.avsc"),
            ])
        // The self-contained form defines every used type in place.
        #expect(order.selfContained.contains(#""name":"Address""#) && order.selfContained.contains(#""symbols":["A","B"]"#))
        #expect(mapping.unmapped == ["extra/Unused.avsc"])
    }

    @Test func explicitSubjectsOverrideAndReferencesFollowThem() throws {
        let config = try Self.config(
            #"{"subjects":{"schemas/Address.avsc":"address-value","extra/Unused.avsc":"unused"},"topics":[{"topic":"customers","key":"long","value":"com.acme.Customer","valueSubject":"crm-customers"}]}"#
        )
        let mapping = try SchemaMapping(
            config: config, configPath: "canon-codegen.json", files: [Self.customer, Self.address, Self.unused])
        #expect(Set(mapping.entries.map(\.subject)) == ["customers-key", "address-value", "unused", "crm-customers"])
        let customer = try #require(mapping.entries.first { $0.subject == "crm-customers" })
        #expect(customer.references.map(\.subject) == ["address-value"])
        #expect(
            mapping.entries.firstIndex { $0.subject == "address-value" }! < mapping.entries.firstIndex { $0.subject == "crm-customers" }!)
        #expect(mapping.unmapped.isEmpty)
    }

    @Test(arguments: [
        ("RecordNameStrategy", "com.acme.Customer", "string"),
        ("TopicRecordNameStrategy", "customers-com.acme.Customer", "customers-string"),
        ("topic", "customers-value", "customers-key"),
    ])
    func theSubjectNameStrategyNamesTopicSubjects(strategy: String, value: String, key: String) throws {
        let config = try Self.config(
            #"{"subjectNameStrategy":"\#(strategy)","topics":[{"topic":"customers","key":"string","value":"Customer"}]}"#)
        let mapping = try SchemaMapping(config: config, configPath: "c.json", files: [Self.customer, Self.address])
        #expect(mapping.entries.map(\.subject).contains(value))
        #expect(mapping.entries.map(\.subject).contains(key))
        // The generated topic descriptor names the same subjects.
        let generated = try CanonCodegen.generate(
            schemaFiles: [Self.customer, Self.address],
            config: SourceFile(
                path: "c.json",
                contents: #"{"subjectNameStrategy":"\#(strategy)","topics":[{"topic":"customers","key":"string","value":"Customer"}]}"#))
        let topics = try #require(generated.first { $0.name == CanonCodegen.topicsFileName }).contents
        #expect(topics.contains(#"keySubject: Swift.String = "\#(key)""#))
        #expect(topics.contains(#"valueSubject: Swift.String = "\#(value)""#))
    }

    @Test func topicsSharingASubjectShareItsEntry() throws {
        let config = try Self.config(
            #"{"subjectNameStrategy":"RecordNameStrategy","topics":[{"topic":"a","key":"string","value":"Customer"},{"topic":"b","key":"string","value":"Customer"}]}"#
        )
        let mapping = try SchemaMapping(config: config, configPath: "c.json", files: [Self.customer, Self.address])
        #expect(mapping.entries.map(\.subject) == ["string", "com.acme.Address", "com.acme.Customer"])
    }

    @Test func problemsAreReportedTogetherNamingTheConfig() throws {
        let config = try Self.config(
            #"{"subjects":{"schemas/Missing.avsc":"x","schemas/Address.avsc":"orders-value"},"topics":[{"topic":"orders","key":"string","value":"com.acme.Tier"},{"topic":"more","key":"string","value":"Customer","valueSubject":"orders-value"}]}"#
        )
        do {
            _ = try SchemaMapping(config: config, configPath: "canon-codegen.json", files: [Self.customer, Self.address])
            Issue.record("no error")
        } catch {
            let messages = error.diagnostics.map(\.description)
            #expect(messages.contains { $0.contains("/subjects/schemas/Missing.avsc: no schema file") })
            #expect(
                messages.contains {
                    $0.contains("/topics/0/value: 'com.acme.Tier' is defined inside schemas/Customer.avsc, not at the top level")
                })
            #expect(messages.contains { $0.contains("subject 'orders-value' is mapped to both") })
            #expect(messages.allSatisfy { $0.hasPrefix("canon-codegen.json: error: ") })
        }
    }

    @Test func configSettingsOfTheWorkflowAreChecked() {
        #expect(throws: CodegenConfigError.self) { try Self.config(#"{"registry":"ftp://x"}"#) }
        #expect(throws: CodegenConfigError.self) { try Self.config(#"{"subjectNameStrategy":"Mine"}"#) }
        #expect(throws: CodegenConfigError.self) { try Self.config(#"{"subjects":{"a.avsc":""}}"#) }
        #expect(
            (try? Self.config(#"{"subjectNameStrategy":"io.confluent.kafka.serializers.subject.RecordNameStrategy"}"#))?.subjectNameStrategy
                == .record)
    }
}
