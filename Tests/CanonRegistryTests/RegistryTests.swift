import CanonAvro
import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import CanonTestSupport
import Testing

func record(_ name: String, _ fields: String...) -> String {
    #"{"type":"record","name":"\#(name)","namespace":"com.example","fields":[\#(fields.joined(separator: ","))]}"#
}

/// A registry over a log engine on the fault-injecting file system.
struct Harness {
    let fs: FaultInjectingFileSystem
    let engine: LogEngine
    let registry: Registry

    init(fs: FaultInjectingFileSystem = FaultInjectingFileSystem()) async throws {
        self.fs = fs
        engine = try LogEngine(path: "/data", fileSystem: fs)
        registry = try await Registry(store: try await LogRegistryStore(log: engine))
    }

    func reopen() async throws -> Harness {
        await engine.shutdown()
        return try await Harness(fs: fs)
    }
}

@Suite struct RegistryTests {
    static let v1 = record("Order", #"{"name":"id","type":"long"}"#)
    static let v2 = record("Order", #"{"name":"id","type":"long"}"#, #"{"name":"qty","type":"int","default":1}"#)
    static let bad = record("Order", #"{"name":"id","type":"long"}"#, #"{"name":"price","type":"double"}"#)

    @Test func idsAreGlobalSharedByIdenticalSchemasAndRegisteringTwiceWritesNothing() async throws {
        let h = try await Harness()
        let a = try await h.registry.register(subject: "orders-value", schema: Self.v1)
        #expect(a.id == 1 && a.version == 1)
        let before = h.fs.syncCount
        let again = try await h.registry.register(subject: "orders-value", schema: Self.v1)
        #expect(again == a)
        #expect(h.fs.syncCount == before)  // nothing written
        let other = try await h.registry.register(subject: "other-value", schema: Self.v1)
        #expect(other.id == 1 && other.version == 1)
        let b = try await h.registry.register(subject: "orders-value", schema: Self.v2)
        #expect(b.id == 2 && b.version == 2)
        // The stored schema is the full rendering: attributes kept, not the Parsing Canonical Form.
        #expect(b.schema.contains(#""default":1"#) && b.schema.contains("com.example"))
    }

    @Test func aChangedDefaultOrLogicalTypeIsANewVersion() async throws {
        let h = try await Harness()
        try await h.registry.setCompatibility(.none, subject: nil)
        let base = try await h.registry.register(subject: "s", schema: record("R", #"{"name":"a","type":"int","default":1}"#))
        let changedDefault = try await h.registry.register(subject: "s", schema: record("R", #"{"name":"a","type":"int","default":2}"#))
        #expect(changedDefault.version == 2 && changedDefault.id != base.id)
        let logical = try await h.registry.register(
            subject: "s", schema: record("R", #"{"name":"a","type":{"type":"int","logicalType":"date"},"default":2}"#))
        #expect(logical.version == 3 && logical.id != changedDefault.id)
    }

    @Test func compatibilityLevelsConsultTheRightVersions() async throws {
        let h = try await Harness()
        _ = try await h.registry.register(subject: "s", schema: Self.v1)
        // BACKWARD: a new field without a default cannot read old data.
        let refused = await #expect(throws: RegistryError.self) { try await h.registry.register(subject: "s", schema: Self.bad) }
        #expect(refused?.code == 409)
        #expect(refused?.message.contains("READER_FIELD_MISSING_DEFAULT_VALUE") == true)
        // Transitive levels check every live version, not just the latest.
        try await h.registry.setCompatibility(.none, subject: "s")
        _ = try await h.registry.register(subject: "s", schema: record("Order", #"{"name":"id","type":"string"}"#))  // v2 changes id's type
        try await h.registry.setCompatibility(.backward, subject: "s")
        let v3 = record("Order", #"{"name":"id","type":"string"}"#, #"{"name":"n","type":"int","default":0}"#)
        #expect(try await h.registry.checkCompatibility(subject: "s", version: nil, schema: v3).isCompatible)
        try await h.registry.setCompatibility(.backwardTransitive, subject: "s")
        let transitive = try await h.registry.checkCompatibility(subject: "s", version: nil, schema: v3)
        #expect(!transitive.isCompatible)
        #expect(transitive.messages.contains("{oldSchemaVersion: 1}"))
        // A soft-deleted version is not consulted any more.
        _ = try await h.registry.deleteVersion(.number(1), of: "s", permanent: false)
        #expect(try await h.registry.checkCompatibility(subject: "s", version: nil, schema: v3).isCompatible)
    }

    @Test func softDeletedSchemasStayReadableByIDAndHardDeletesNeedASoftOneFirst() async throws {
        let h = try await Harness()
        let a = try await h.registry.register(subject: "s", schema: Self.v1)
        await #expect(throws: RegistryError.subjectNotSoftDeleted("s")) { _ = try await h.registry.deleteSubject("s", permanent: true) }
        #expect(try await h.registry.deleteSubject("s", permanent: false) == [1])
        #expect(try await h.registry.schema(id: a.id).schema == a.schema)
        #expect(await h.registry.subjects().isEmpty)
        #expect(await h.registry.subjects(includeDeleted: true) == ["s"])
        await #expect(throws: RegistryError.subjectSoftDeleted("s")) { _ = try await h.registry.deleteSubject("s", permanent: false) }
        #expect(try await h.registry.deleteSubject("s", permanent: true) == [1])
        await #expect(throws: RegistryError.schemaNotFound("1")) { _ = try await h.registry.schema(id: a.id) }
        // The same content may get its old ID back; new content never gets an issued one.
        let back = try await h.registry.register(subject: "t", schema: Self.v1)
        #expect(back.id == a.id)
        let fresh = try await h.registry.register(subject: "t", schema: Self.v2)
        #expect(fresh.id == 2)
    }

    @Test func readOnlyRefusesWritesAndImportKeepsGivenIDsAndRaisesTheHighWaterMark() async throws {
        let h = try await Harness()
        try await h.registry.setMode(.readOnly, subject: "frozen")
        let refused = await #expect(throws: RegistryError.self) { _ = try await h.registry.register(subject: "frozen", schema: Self.v1) }
        #expect(refused?.code == 42205)
        // IMPORT globally needs force while subjects have live versions.
        _ = try await h.registry.register(subject: "live", schema: record("L", #"{"name":"l","type":"int"}"#))
        let needsForce = await #expect(throws: RegistryError.self) { try await h.registry.setMode(.import, subject: nil) }
        #expect(needsForce?.code == 42205)
        try await h.registry.setMode(.import, subject: nil, force: true)
        let imported = try await h.registry.register(subject: "migrated", schema: Self.v1, id: 500, version: 7)
        #expect(imported.id == 500 && imported.version == 7)
        // Another content may not take an issued ID.
        let clash = await #expect(throws: RegistryError.self) { _ = try await h.registry.register(subject: "m2", schema: Self.v2, id: 500) }
        #expect(clash?.code == 42205)
        // The same schema already a live version under another ID: 42207.
        let mismatch = await #expect(throws: RegistryError.self) {
            _ = try await h.registry.register(subject: "migrated", schema: Self.v1, id: 600)
        }
        #expect(mismatch?.code == 42207)
        try await h.registry.setMode(.readWrite, subject: nil)
        #expect(try await h.registry.register(subject: "next", schema: Self.v2).id == 501)
        // All of it survives a restart.
        let reopened = try await h.reopen()
        #expect(try await reopened.registry.version(.latest, of: "migrated").id == 500)
        #expect(try await reopened.registry.mode(subject: "frozen") == .readOnly)
        #expect(try await reopened.registry.register(subject: "after", schema: record("Z", #"{"name":"z","type":"int"}"#)).id == 502)
        // IDs and version numbers at the top of the range: refused, never a crash (also after a restart).
        try await reopened.registry.setMode(.import, subject: nil, force: true)
        _ = try await reopened.registry.register(
            subject: "top", schema: record("T", #"{"name":"t","type":"int"}"#), id: Int32.max, version: Int(Int32.max))
        try await reopened.registry.setMode(.readWrite, subject: nil)
        let noID = await #expect(throws: RegistryError.self) {
            _ = try await reopened.registry.register(subject: "more", schema: record("M", #"{"name":"m","type":"int"}"#))
        }
        #expect(noID?.code == 42205)  // a clear refusal, not a store error
        try await reopened.registry.setCompatibility(.none, subject: "top")
        let noVersion = await #expect(throws: RegistryError.self) {
            _ = try await reopened.registry.register(subject: "top", schema: Self.v1)
        }
        #expect(noVersion?.code == 42205)
        await reopened.engine.shutdown()
    }

    @Test func concurrentRegistrationsOfOneNewSchemaMakeOneIDAndOneVersion() async throws {
        let h = try await Harness()
        let results = try await withThrowingTaskGroup(of: Registry.RegisteredSchema.self) { group in
            for _ in 0..<32 { group.addTask { try await h.registry.register(subject: "s", schema: Self.v1) } }
            var all: [Registry.RegisteredSchema] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(Set(results.map(\.id)).count == 1 && Set(results.map(\.version)) == [1])
        #expect(try await h.registry.versions(of: "s") == [1])
    }

    @Test func referencesResolveAtRegistrationAndBlockDeletion() async throws {
        let h = try await Harness()
        let address = #"{"type":"record","name":"Address","namespace":"com.example.common","fields":[{"name":"city","type":"string"}]}"#
        _ = try await h.registry.register(subject: "address", schema: address)
        let customer =
            #"{"type":"record","name":"Customer","namespace":"com.example","fields":[{"name":"home","type":"com.example.common.Address"}]}"#
        let missing = await #expect(throws: RegistryError.self) { _ = try await h.registry.register(subject: "customer", schema: customer) }
        #expect(missing?.code == 42201)
        let refs = [SchemaReference(name: "com.example.common.Address", subject: "address", version: 1)]
        let c = try await h.registry.register(subject: "customer", schema: customer, references: refs)
        #expect(try await h.registry.referencedBy(.number(1), of: "address") == [c.id])
        let blocked = await #expect(throws: RegistryError.self) {
            _ = try await h.registry.deleteVersion(.number(1), of: "address", permanent: false)
        }
        #expect(blocked?.code == 42206)
        await #expect(throws: RegistryError.self) { _ = try await h.registry.deleteSubject("address", permanent: false) }
        // A reference to -1 means the latest version at registration, kept as that number.
        _ = try await h.registry.register(
            subject: "address", schema: address.replacingOccurrences(of: "}]}", with: #"},{"name":"zip","type":"string","default":""}]}"#))
        let latest = try await h.registry.register(
            subject: "customer2", schema: customer,
            references: [SchemaReference(name: "com.example.common.Address", subject: "address", version: -1)])
        #expect(latest.references.first?.version == 2)
        #expect(try await h.registry.referencedBy(.number(2), of: "address") == [latest.id])
        _ = try await h.registry.deleteSubject("customer2", permanent: false)
        // Once the referrer is gone, the referenced version may go.
        _ = try await h.registry.deleteSubject("customer", permanent: false)
        #expect(try await h.registry.deleteVersion(.number(1), of: "address", permanent: false) == 1)
    }

    /// As in Confluent's registry: a schema sent with its references resolved in place (what a serializer
    /// of a generated type sends) is the version that references them, for lookups and registrations.
    @Test func aSchemaWithItsReferencesResolvedIsTheVersionThatReferencesThem() async throws {
        let h = try await Harness()
        let address = #"{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"city","type":"string"}]}"#
        _ = try await h.registry.register(subject: "address", schema: address)
        let order = record("Order", #"{"name":"ship","type":"Address"}"#)
        let withReference = try await h.registry.register(
            subject: "orders-value", schema: order,
            references: [SchemaReference(name: "com.example.Address", subject: "address", version: 1)])
        let resolved = record("Order", #"{"name":"ship","type":\#(address)}"#)
        let found = try await h.registry.lookup(subject: "orders-value", schema: resolved)
        #expect(found.version == 1 && found.id == withReference.id && found.references == withReference.references)
        let again = try await h.registry.register(subject: "orders-value", schema: resolved)
        #expect(again.version == 1 && again.id == withReference.id)
        #expect(try await h.registry.versions(of: "orders-value") == [1])
        // Other content is still other content.
        let other = record(
            "Order", #"{"name":"ship","type":{"type":"record","name":"Address","fields":[{"name":"zip","type":"string","default":""}]}}"#)
        await #expect(throws: RegistryError.self) { _ = try await h.registry.lookup(subject: "orders-value", schema: other) }
        await h.engine.shutdown()
    }

    /// Confluent's `avro.validate.defaults` is off by default: a schema whose default does not match its
    /// field's type registers (so anything a Confluent registry holds can be imported), unless asked.
    @Test func fieldDefaultsAreCheckedOnlyWhenConfigured() async throws {
        let badDefault = record("Odd", #"{"name":"n","type":"int","default":"x"}"#)
        let lenient = try await Harness()
        #expect(try await lenient.registry.register(subject: "odd", schema: badDefault).version == 1)
        #expect(try await lenient.registry.lookup(subject: "odd", schema: badDefault).version == 1)
        await lenient.engine.shutdown()
        var strict = Registry.Configuration()
        strict.formats = SchemaFormats([AvroFormat(validatesDefaults: true)])
        let engine = try LogEngine(path: "/data", fileSystem: FaultInjectingFileSystem())
        let registry = try await Registry(store: try await LogRegistryStore(log: engine), configuration: strict)
        let refused = await #expect(throws: RegistryError.self) { _ = try await registry.register(subject: "odd", schema: badDefault) }
        #expect(refused?.code == 42201 && refused?.message.contains("invalid default for field 'n'") == true)
        await engine.shutdown()
    }

    @Test func badRequestsGetConfluentsCodes() async throws {
        let h = try await Harness()
        func code(_ body: () async throws -> Void) async -> Int? {
            do { try await body(); return nil } catch let e as RegistryError { return e.code } catch { return -1 }
        }
        #expect(await code { _ = try await h.registry.register(subject: "s", schema: "not json") } == 42201)
        #expect(await code { _ = try await h.registry.register(subject: "s", schema: #"{"type":"record","name":"X"}"#) } == 42201)
        #expect(
            await code { _ = try await h.registry.register(subject: "s", schema: #"syntax = "proto3";"#, schemaType: "PROTOBUF") } == 42201)
        #expect(await code { _ = try await h.registry.register(subject: "", schema: Self.v1) } == 42208)
        #expect(await code { _ = try await h.registry.version(.latest, of: "nope") } == 40401)
        #expect(await code { _ = try Registry.VersionSpec("0") } == 42202)
        #expect(await code { _ = try Registry.VersionSpec("2147483648") } == 42202)
        #expect(await code { _ = try await h.registry.schema(id: 77) } == 40403)
        _ = try await h.registry.register(subject: "s", schema: Self.v1)
        #expect(await code { _ = try await h.registry.version(.number(9), of: "s") } == 40402)
        #expect(await code { _ = try await h.registry.lookup(subject: "s", schema: Self.v2) } == 40403)
        #expect(await code { _ = try await h.registry.compatibility(subject: "s") } == 40408)
        #expect(await code { _ = try await h.registry.mode(subject: "s") } == 40409)
        var small = Registry.Configuration()
        small.maximumSchemaBytes = 10
        let tiny = try await Registry(store: try await LogRegistryStore(log: h.engine), configuration: small)
        #expect(await code { _ = try await tiny.register(subject: "s2", schema: Self.v2) } == 42209)
        // Nothing of the refused requests was stored.
        #expect(await h.registry.subjects() == ["s"])
    }

    /// A registration whose fdatasync failed is taken back from the file too: a restart without a power
    /// cut (the page cache kept everything written) does not bring it back.
    @Test func aFailedRegistrationDoesNotComeBackAfterARestart() async throws {
        let fs = FaultInjectingFileSystem()
        var h = try await Harness(fs: fs)
        _ = try await h.registry.register(subject: "s", schema: Self.v1)
        fs.inject(.init(.sync, path: "_schemas-0", error: .io))
        await #expect(throws: RegistryError.self) { _ = try await h.registry.register(subject: "s", schema: Self.v2) }
        fs.clearFaults()
        await h.engine.shutdown()
        h = try await Harness(fs: fs)
        #expect(try await h.registry.versions(of: "s") == [1])
        #expect(try await h.registry.register(subject: "s", schema: Self.v2).version == 2)
        await h.engine.shutdown()
    }

    /// With the fault-injecting file system: a registration whose fdatasync fails is refused (50001),
    /// never visible, not there after recovery, and its ID is not given to different content.
    @Test func aRegistrationThatWasNeverAcknowledgedIsNeverVisible() async throws {
        let fs = FaultInjectingFileSystem()
        var h = try await Harness(fs: fs)
        let a = try await h.registry.register(subject: "s", schema: Self.v1)
        fs.inject(.init(.sync, path: "_schemas-0", error: .io))
        let failed = await #expect(throws: RegistryError.self) { _ = try await h.registry.register(subject: "s", schema: Self.v2) }
        #expect(failed?.code == 50001)
        #expect(try await h.registry.versions(of: "s") == [1])
        await #expect(throws: RegistryError.self) { _ = try await h.registry.schema(id: a.id + 1) }
        // Power cut, recovery: still not there; the next content gets an ID above every issued one.
        fs.cutPower()
        fs.clearFaults()
        await h.engine.shutdown()
        h = try await Harness(fs: fs)
        #expect(try await h.registry.versions(of: "s") == [1])
        let b = try await h.registry.register(subject: "s", schema: Self.v2)
        #expect(b.version == 2 && b.id > a.id)
        await h.engine.shutdown()
    }

    @Test func theStoredTextIsNormalizedAndNormalizeOrdersReferences() async throws {
        let h = try await Harness()
        // Written differently (whitespace, a namespace attribute vs a full name, member order): one schema.
        let a = try await h.registry.register(
            subject: "s", schema: #"{"name":"com.example.Order","type":"record","fields":[{"type":"long","name":"id"}]}"#)
        let b = try await h.registry.register(
            subject: "s",
            schema:
                "{ \"type\": \"record\", \"namespace\": \"com.example\", \"name\": \"Order\",\n \"fields\": [ {\"name\": \"id\", \"type\": \"long\"} ] }"
        )
        #expect(a == b)
        _ = try await h.registry.register(subject: "x", schema: #"{"type":"fixed","name":"com.example.X","size":2}"#)
        _ = try await h.registry.register(subject: "y", schema: #"{"type":"fixed","name":"com.example.Y","size":3}"#)
        let user =
            #"{"type":"record","name":"U","namespace":"com.example","fields":[{"name":"x","type":"com.example.X"},{"name":"y","type":"com.example.Y"}]}"#
        let refs = [
            SchemaReference(name: "com.example.Y", subject: "y", version: 1),
            SchemaReference(name: "com.example.X", subject: "x", version: 1),
            SchemaReference(name: "com.example.Y", subject: "y", version: 1),
        ]
        let normalized = try await h.registry.register(subject: "u", schema: user, references: refs, normalize: true)
        #expect(normalized.references.map(\.name) == ["com.example.X", "com.example.Y"])
        #expect(try await h.registry.lookup(subject: "u", schema: user, references: refs.reversed(), normalize: true).id == normalized.id)
        // Without normalize the order is part of the identity.
        await #expect(throws: RegistryError.self) { _ = try await h.registry.lookup(subject: "u", schema: user, references: refs) }
    }

    /// IMPORT can give identical content another ID in another subject; a lookup answers the subject's own.
    @Test func aLookupAnswersTheSubjectsOwnIDForContentImportedTwice() async throws {
        let h = try await Harness()
        let first = try await h.registry.register(subject: "a", schema: Self.v1)
        try await h.registry.setMode(.import, subject: "b")
        _ = try await h.registry.register(subject: "b", schema: Self.v1, id: 40, version: 1)
        #expect(try await h.registry.lookup(subject: "b", schema: Self.v1).id == 40)
        #expect(try await h.registry.lookup(subject: "a", schema: Self.v1).id == first.id)
    }
}
