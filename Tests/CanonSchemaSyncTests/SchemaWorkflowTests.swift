import CanonAvro
import CanonCodegen
import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
@testable import CanonRegistryClient
@testable import CanonSchemaSync
import CanonServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Check, register and pull against a live registry (a real socket).
@Suite struct SchemaWorkflowTests {
    static let config = #"{"topics":[{"topic":"orders","key":"string","value":"com.acme.Order"}]}"#
    static let files = [SchemaMappingTests.address, SchemaMappingTests.customer, SchemaMappingTests.order]

    /// Runs `body` with a fresh registry behind a live server.
    static func withRegistry(_ body: @Sendable (RegistryClient) async throws -> Void) async throws {
        let engine = try LogEngine(path: "/data", fileSystem: FaultInjectingFileSystem())
        let registry = try await Registry(store: try await LogRegistryStore(log: engine))
        let app = RegistryServer.application(registry: registry, configuration: .init(port: 0))
        try await app.test(.live) { client in
            try await body(RegistryClient(url: URL(string: "http://127.0.0.1:\(client.port!)")!, autoRegister: false))
        }
        await engine.shutdown()
    }

    static func mapping(_ files: [SourceFile] = files, config: String = config) throws -> SchemaMapping {
        try SchemaMapping(config: try CodegenConfig(parsing: config), configPath: "canon-codegen.json", files: files)
    }

    static func statuses(_ checks: [SubjectCheck]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: checks.map { ($0.entry.subject, $0.status.keyword) })
    }

    @Test func registerPutsReferencedSubjectsFirstAndASecondRunChangesNothing() async throws {
        try await Self.withRegistry { client in
            let checker = SchemaChecker(client: client)
            let first = try await checker.check(try Self.mapping())
            #expect(Set(first.map(\.status)) == [.newSubject])
            let registered = try await SchemaRegistrar(client: client).register(first)
            #expect(registered.map(\.subject) == ["orders-key", "com.acme.Address", "com.acme.Customer", "orders-value"])
            // The referencing version names the versions its references hold.
            let order = try await client.send("GET", "/subjects/orders-value/versions/1")
            #expect(
                order["references"]
                    == .array([
                        .object(["name": .string("com.acme.Address"), "subject": .string("com.acme.Address"), "version": .int(1)]),
                        .object(["name": .string("com.acme.Customer"), "subject": .string("com.acme.Customer"), "version": .int(1)]),
                    ]))
            // A generated type's serializer sends the self-contained schema: it finds that version, and its
            // deserializer reads the writer schema with the references resolved.
            let selfContained = try #require(try Self.mapping().entries.last).selfContained
            let orderID = try #require(registered.last).id
            #expect(try await client.schemaID(subject: "orders-value", schema: selfContained) == orderID)
            #expect(try await client.writerSchema(id: orderID).canonicalForm == (try AvroSchema(parsing: selfContained)).canonicalForm)
            let again = try await checker.check(try Self.mapping())
            #expect(Set(Self.statuses(again).values) == ["unchanged"])
            #expect(again.allSatisfy { $0.level == "BACKWARD" })
            #expect(try await SchemaRegistrar(client: client).register(again).isEmpty)
            #expect(try await client.versions(subject: "orders-value") == [1])
        }
    }

    @Test func aChangedReferencedSchemaMakesNewVersionsOfItsReferrers() async throws {
        try await Self.withRegistry { client in
            _ = try await SchemaRegistrar(client: client).register(try await SchemaChecker(client: client).check(try Self.mapping()))
            var files = Self.files
            files[0].contents =
                #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string","default":""}]}"#
            let checks = try await SchemaChecker(client: client).check(try Self.mapping(files))
            #expect(
                Self.statuses(checks) == [
                    "orders-key": "unchanged", "com.acme.Address": "new-version", "com.acme.Customer": "new-version",
                    "orders-value": "new-version",
                ])
            let registered = try await SchemaRegistrar(client: client).register(checks)
            #expect(registered.map(\.version) == [2, 2, 2])
            let order = try await client.send("GET", "/subjects/orders-value/versions/2")
            guard case .array(let references)? = order["references"] else { Issue.record("no references"); return }
            #expect(references.map { $0["version"] } == [.int(2), .int(2)])
            #expect(Set(Self.statuses(try await SchemaChecker(client: client).check(try Self.mapping(files))).values) == ["unchanged"])
        }
    }

    @Test func anIncompatibleChangeNamesTheFieldAndPath() async throws {
        try await Self.withRegistry { client in
            _ = try await SchemaRegistrar(client: client).register(try await SchemaChecker(client: client).check(try Self.mapping()))
            var files = Self.files
            files[2].contents =
                #"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"buyer","type":"Customer"},{"name":"ship","type":"Address"},{"name":"tier","type":"com.acme.Tier"},{"name":"amount","type":"long"}]}"#
            let checks = try await SchemaChecker(client: client).check(try Self.mapping(files))
            let order = try #require(checks.first { $0.entry.subject == "orders-value" })
            guard case .incompatible(let problems) = order.status else {
                Issue.record("expected incompatible, got \(order.status)")
                return
            }
            let difference = try #require(problems.first { $0.isDifference })
            #expect(difference.errorType == "READER_FIELD_MISSING_DEFAULT_VALUE")
            #expect(difference.path == "/fields/3")
            #expect(difference.field == "amount")
            #expect(problems.contains { $0.oldSchemaVersion == 1 })
            let table = CheckReport.table(checks, unmapped: [])
            #expect(table.contains("orders-value") && table.contains("incompatible with version 1 (BACKWARD)"))
            #expect(table.contains("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/3 (field 'amount')"))
            // GitHub annotations point at the line that declares the field.
            let pretty = SourceFile(path: files[2].path, contents: files[2].contents.replacingOccurrences(of: "},{", with: "},\n{"))
            let github = CheckReport.github(checks, files: [pretty.path: pretty.contents], prefix: "Sources/App")
            #expect(
                github.hasPrefix(
                    "::error file=Sources/App/schemas/Order.avsc,line=4,title=orders-value%3A incompatible::READER_FIELD_MISSING_DEFAULT_VALUE"
                ))
            let json = try JSONReader.parse(CheckReport.json(checks, unmapped: [], registry: "r"))
            #expect(json["result"] == .string("incompatible"))
            guard case .array(let subjects)? = json["subjects"], case .array(let messages)? = subjects.last?["messages"] else {
                Issue.record("no messages"); return
            }
            #expect(messages.first?["path"] == .string("/fields/3"))
            // A compatible change of the same subject is a new version.
            files[2].contents = files[2].contents.replacingOccurrences(of: #""type":"long"}"#, with: #""type":"long","default":0}"#)
            #expect(Self.statuses(try await SchemaChecker(client: client).check(try Self.mapping(files)))["orders-value"] == "new-version")
        }
    }

    @Test func registryRefusalsAreVerdictsButServerErrorsAndSilenceAreUnreachable() throws {
        let checker = SchemaChecker(client: RegistryClient(url: URL(string: "http://127.0.0.1:1")!))
        let refusal = try checker.rejectedOrUnreachable(RegistryClientError(status: 422, code: 42201, message: "Invalid schema"))
        #expect(refusal == .rejected(code: 42201, message: "Invalid schema"))
        #expect(!refusal.isAcceptable)
        #expect(throws: RegistryUnreachable.self) {
            try checker.rejectedOrUnreachable(RegistryClientError(status: 500, code: 50001, message: "store"))
        }
        #expect(throws: RegistryUnreachable.self) {
            try checker.rejectedOrUnreachable(RegistryClientError(status: 0, code: 0, message: "refused"))
        }
        // A 404 that is not Confluent's (no error_code, or Jersey's 404) means no registry at that URL.
        #expect(throws: RegistryUnreachable.self) {
            try checker.rejectedOrUnreachable(RegistryClientError(status: 404, code: 0, message: "Not Found"))
        }
        #expect(throws: RegistryUnreachable.self) {
            try checker.rejectedOrUnreachable(RegistryClientError(status: 404, code: 404, message: "HTTP 404 Not Found"))
        }
        #expect(
            try checker.rejectedOrUnreachable(RegistryClientError(status: 404, code: 40402, message: "Version not found")).keyword
                == "rejected")
    }

    @Test func aRegistryThatCannotBeReachedIsNotAVerdict() async throws {
        let client = RegistryClient(url: URL(string: "http://127.0.0.1:1")!, autoRegister: false)
        await #expect(throws: RegistryUnreachable.self) { _ = try await SchemaChecker(client: client).check(try Self.mapping()) }
    }

    @Test func pullBringsSubjectsWithReferencesIntoAPackageThatGeneratesEqualTypes() async throws {
        try await Self.withRegistry { client in
            _ = try await SchemaRegistrar(client: client).register(try await SchemaChecker(client: client).check(try Self.mapping()))
            let puller = SchemaPuller(client: client)
            let subjects = try await puller.subjects(named: ["orders-value"], all: false, prefix: nil)
            #expect(subjects == ["orders-value", "orders-key"])  // the topic's key comes with its value
            let pulled = try await puller.fetch(subjects).schemas
            #expect(Set(pulled.map(\.subject)) == ["orders-value", "orders-key", "com.acme.Address", "com.acme.Customer"])
            let plan = try PullPlan(pulled: pulled, config: nil, existing: [], schemaFolder: "schemas")
            #expect(
                Set(plan.files.map(\.path)) == [
                    "schemas/com.acme.Order.avsc", "schemas/com.acme.Address.avsc", "schemas/com.acme.Customer.avsc",
                ])
            #expect(plan.notes.isEmpty)
            let config = try CodegenConfig(parsing: plan.config)
            #expect(config.topics.map { [$0.topic, $0.key, $0.value] } == [["orders", "string", "com.acme.Order"]])
            #expect(config.subjects.isEmpty)  // referenced subjects named after their types need no entry
            // The pulled files map to the same subjects, and the registry has them all already.
            let files = plan.files.map { SourceFile(path: $0.path, contents: $0.contents) }
            let mapping = try SchemaMapping(config: config, configPath: "canon-codegen.json", files: files)
            #expect(Set(mapping.entries.map(\.subject)) == ["orders-key", "orders-value", "com.acme.Address", "com.acme.Customer"])
            #expect(Set(Self.statuses(try await SchemaChecker(client: client).check(mapping)).values) == ["unchanged"])
            // Generated types equal those of the original files (only the headers name other files).
            func bodies(_ files: [SourceFile], _ config: String) throws -> [String] {
                try CanonCodegen.generate(schemaFiles: files, config: SourceFile(path: "canon-codegen.json", contents: config)).map {
                    $0.contents.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("// Generated by") }.joined(
                        separator: "\n")
                }.sorted()
            }
            #expect(try bodies(files, plan.config) == bodies(Self.files, Self.config))
        }
    }

    @Test func pullOverwritesTheFileThatDefinesATypeAndKeepsTheConfig() async throws {
        try await Self.withRegistry { client in
            _ = try await client.register(subject: "billing", schema: SchemaMappingTests.address.contents)
            let pulled = try await SchemaPuller(client: client).fetch(["billing"]).schemas
            let existing = SourceFile(
                path: "types/Addr.avsc", contents: #"{"type":"record","name":"Address","namespace":"com.acme","fields":[]}"#)
            let plan = try PullPlan(
                pulled: pulled, config: #"{"access":"internal","typeNames":{"com.acme.Address":"Addr"}}"#, existing: [existing],
                schemaFolder: "schemas")
            #expect(plan.files.map(\.path) == ["types/Addr.avsc"])
            let config = try CodegenConfig(parsing: plan.config)
            #expect(config.access == "internal" && config.typeNames == ["com.acme.Address": "Addr"])
            #expect(config.subjects == ["types/Addr.avsc": "billing"])
            // A value subject without a key subject gets a string key, and says so.
            _ = try await client.register(subject: "addresses-value", schema: SchemaMappingTests.address.contents)
            let value = try PullPlan(
                pulled: try await SchemaPuller(client: client).fetch(["addresses-value"]).schemas, config: nil, existing: [],
                schemaFolder: "")
            #expect(value.files.map(\.path) == ["com.acme.Address.avsc"])
            #expect(value.notes.count == 1 && value.notes[0].contains("addresses-key is not in the registry"))
        }
    }

    @Test func pullTakesEverySubjectOrThoseWithAPrefix() async throws {
        try await Self.withRegistry { client in
            for subject in ["a-value", "a-key", "b-value", "other"] {
                _ = try await client.register(subject: subject, schema: #""string""#)
            }
            let puller = SchemaPuller(client: client)
            #expect(Set(try await puller.subjects(named: [], all: true, prefix: nil)) == ["a-value", "a-key", "b-value", "other"])
            #expect(try await puller.subjects(named: [], all: false, prefix: "a-") == ["a-key", "a-value"])
            #expect(try await puller.subjects(named: ["b-value"], all: false, prefix: nil) == ["b-value"])
        }
    }

    /// Credentials from the environment go with every request, as Confluent's `basic.auth.user.info`
    /// and bearer tokens do, and never appear in a description.
    @Test func credentialsAreSentWithEveryRequest() async throws {
        let router = Router()
        router.get("/subjects") { request, _ -> Response in
            let ok =
                request.headers[.authorization] == "Basic " + Data("alice:s3cret".utf8).base64EncodedString()
                || request.headers[.authorization] == "Bearer tok"
            return Response(
                status: ok ? .ok : .unauthorized,
                body: .init(byteBuffer: ByteBuffer(string: ok ? "[\"x-value\"]" : #"{"error_code":40101,"message":"Unauthorized"}"#)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { live in
            let url = URL(string: "http://127.0.0.1:\(live.port!)")!
            let basic = RegistryClient.Credentials.fromEnvironment(["CANON_REGISTRY_USER_INFO": "alice:s3cret"])
            #expect(try await RegistryClient(url: url, credentials: basic).subjects() == ["x-value"])
            #expect(
                try await RegistryClient(url: url, credentials: .fromEnvironment(["CANON_REGISTRY_BEARER_TOKEN": "tok"])).subjects() == [
                    "x-value"
                ])
            // Wrong credentials: the error says so, names where credentials come from, never the secret;
            // for the workflow it is "cannot ask the registry" (exit 2), not a verdict on a schema.
            let wrong = RegistryClient(url: url, credentials: .fromEnvironment(["CANON_REGISTRY_USER_INFO": "alice:wrongpw"]))
            do {
                _ = try await wrong.subjects()
                Issue.record("wrong credentials, no error")
            } catch let error as RegistryClientError {
                #expect(error.code == 40101 && !error.description.contains("wrongpw"))
                let unreachable = try #require(RegistryUnreachable(error, url: url))
                #expect(
                    unreachable.description.contains("refused the credentials")
                        && unreachable.description.contains("CANON_REGISTRY_USER_INFO"))
                #expect(!unreachable.description.contains("wrongpw"))
            }
            await #expect(throws: RegistryUnreachable.self) { _ = try await SchemaChecker(client: wrong).check(try Self.mapping()) }
            await #expect(throws: RegistryUnreachable.self) { _ = try await SchemaPuller(client: wrong).fetch(["x-value"]) }
            #expect(basic?.description == "basic (user alice)")
        }
    }

    @Test func anOlderVersionIsUnchangedButSaysWhichIsLatest() async throws {
        try await Self.withRegistry { client in
            _ = try await SchemaRegistrar(client: client).register(try await SchemaChecker(client: client).check(try Self.mapping()))
            let newer =
                #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string","default":""}]}"#
            _ = try await client.register(subject: "com.acme.Address", schema: newer)
            let checks = try await SchemaChecker(client: client).check(try Self.mapping())
            let address = try #require(checks.first { $0.entry.subject == "com.acme.Address" })
            #expect(address.status == .unchanged(id: 2, version: 1) && address.newerLatest == 2)
            #expect(CheckReport.summary(address) == "unchanged (version 1, id 2; the latest is version 2)")
        }
    }

    @Test func pullKeepsTheRequestedVersionOfATypeAndSaysWhichItLeftOut() async throws {
        try await Self.withRegistry { client in
            _ = try await SchemaRegistrar(client: client).register(try await SchemaChecker(client: client).check(try Self.mapping()))
            let newer =
                #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string","default":""}]}"#
            _ = try await client.register(subject: "com.acme.Address", schema: newer)
            // orders-value references version 1 of Address; version 2 is asked for as well.
            let pulled = try await SchemaPuller(client: client).fetch(["orders-value", "com.acme.Address"]).schemas
            let plan = try PullPlan(pulled: pulled, config: nil, existing: [], schemaFolder: "schemas")
            let address = try #require(plan.files.first { $0.path == "schemas/com.acme.Address.avsc" })
            #expect(address.contents.contains("zip"))
            #expect(plan.notes.contains { $0.contains("version 1 of com.acme.Address, which differs, was not written") })
            #expect(try CodegenConfig(parsing: plan.config).subjects == ["schemas/com.acme.Address.avsc": "com.acme.Address"])
        }
    }

    @Test func bulkPullsSkipWhatCannotBePulledAndAPrefixMustMatch() async throws {
        try await Self.withRegistry { client in
            _ = try await client.register(subject: "a-value", schema: SchemaMappingTests.address.contents)
            _ = try await client.register(subject: "a-union", schema: #"["null","string"]"#)
            let puller = SchemaPuller(client: client)
            let wanted = try await puller.subjects(named: [], all: false, prefix: "a-")
            let (schemas, skipped) = try await puller.fetch(wanted, skippable: Set(wanted))
            #expect(schemas.map(\.subject) == ["a-value"])
            #expect(skipped.count == 1 && skipped[0].hasPrefix("skipped a-union: "))
            // Named, the same subject fails the pull.
            await #expect(throws: SchemaPuller.Problem.self) { _ = try await puller.fetch(["a-union"]) }
            await #expect(throws: SchemaPuller.Problem.self) { _ = try await puller.subjects(named: [], all: false, prefix: "zzz") }
        }
    }
}

/// The workflow for JSON Schema files: a topic whose value is a `.schema.json` type maps its file
/// (bundled with the files it references, as the generated type's `jsonSchema`) and its string key to
/// JSON subjects; check and register send them as JSON, and an incompatible change names Confluent's
/// difference type.
@Suite struct JSONSchemaWorkflowTests {
    static let refund = SourceFile(
        path: "schemas/Refund.schema.json",
        contents:
            ##"{"title":"Refund","type":"object","properties":{"id":{"type":"string"},"to":{"$ref":"Address.schema.json"}},"required":["id"],"additionalProperties":false}"##
    )
    static let address = SourceFile(
        path: "schemas/Address.schema.json",
        contents: ##"{"title":"Address","type":"object","properties":{"city":{"type":"string"}},"additionalProperties":false}"##)
    static let config = #"{"topics":[{"topic":"refunds","key":"string","value":"Refund"}]}"#

    @Test func jsonTopicsAreCheckedAndRegisteredAsJSONSelfContained() async throws {
        let mapping = try SchemaWorkflowTests.mapping([Self.refund, Self.address, SchemaMappingTests.address], config: Self.config)
        #expect(mapping.entries.map(\.subject) == ["refunds-key", "refunds-value"])
        #expect(mapping.entries.allSatisfy { $0.schemaType == .json && $0.references.isEmpty })
        #expect(mapping.entries[0].schema == #"{"type":"string"}"#)
        let value = try JSONReader.parse(mapping.entries[1].schema)
        #expect(value["definitions"]?["canon:Address.schema.json"]?["$id"] == JSONValue.string("Address.schema.json"))
        #expect(Set(mapping.unmapped) == ["schemas/Address.schema.json", SchemaMappingTests.address.path])

        try await SchemaWorkflowTests.withRegistry { client in
            let checks = try await SchemaChecker(client: client).check(mapping)
            #expect(Set(checks.map(\.status)) == [.newSubject])
            let registered = try await SchemaRegistrar(client: client).register(checks)
            #expect(registered.map(\.subject) == ["refunds-key", "refunds-value"])
            let stored = try await client.send("GET", "/subjects/refunds-value/versions/1")
            #expect(stored["schemaType"] == JSONValue.string("JSON"))
            // What the generated serializer sends finds the same ID.
            let id = try await client.schemaID(subject: "refunds-value", schema: mapping.entries[1].schema, schemaType: .json)
            #expect(id == registered[1].id)
            #expect(Set(SchemaWorkflowTests.statuses(try await SchemaChecker(client: client).check(mapping)).values) == ["unchanged"])

            // Closing the content model the other way: a property removed from a closed model is incompatible.
            var changed = Self.refund
            changed.contents = changed.contents.replacingOccurrences(of: #","to":{"$ref":"Address.schema.json"}"#, with: "")
            let changedMapping = try SchemaWorkflowTests.mapping([changed, Self.address], config: Self.config)
            let again = try await SchemaChecker(client: client).check(changedMapping)
            let refund = try #require(again.first { $0.entry.subject == "refunds-value" })
            guard case .incompatible(let problems) = refund.status else {
                Issue.record("expected incompatible, got \(refund.status)")
                return
            }
            let removed = try #require(problems.first { $0.errorType == "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" }, "\(problems)")
            #expect(removed.path == "#/properties/to")
            #expect(removed.description.hasPrefix("The new schema has a closed content model and is missing a property"))
            #expect(CheckReport.table(again, unmapped: []).contains("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at #/properties/to"))
        }
    }
}
