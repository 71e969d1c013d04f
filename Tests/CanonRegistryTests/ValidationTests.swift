import CanonCore
import CanonLog
import CanonLogTestKit
import CanonRegistry
import CanonTestSupport
import Testing

@Suite struct ValidationTests {
    static let schema =
        #"{"type":"record","name":"Evt","namespace":"com.example","fields":[{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B","C"]}},{"name":"note","type":["null","string"]},{"name":"name","type":"string"},{"name":"n","type":"int"}]}"#
    /// kind=B, note="hi", name="abc", n=5, by hand: enum index 1, union branch 1 + "hi", "abc", zig-zag 5.
    static let payload: [UInt8] = [0x02, 0x02, 0x04, 0x68, 0x69, 0x06, 0x61, 0x62, 0x63, 0x0a]

    static func framed(_ id: Int32, _ payload: [UInt8] = payload) -> [UInt8] {
        [0] + withUnsafeBytes(of: id.bigEndian, Array.init) + payload
    }

    /// A registry with the schema under `events-value` (ID 1) and another schema under `other-value` (ID 2).
    static func setUp() async throws -> (Registry, SchemaCatalog, LogEngine) {
        let catalog = SchemaCatalog()
        let engine = try LogEngine(
            path: "/data", fileSystem: FaultInjectingFileSystem(), validator: RegistryRecordValidator(catalog: catalog))
        let registry = try await Registry(store: try await LogRegistryStore(log: engine), catalog: catalog)
        #expect(try await registry.register(subject: "events-value", schema: schema).id == 1)
        #expect(
            try await registry.register(
                subject: "other-value", schema: #"{"type":"record","name":"O","fields":[{"name":"x","type":"long"}]}"#
            ).id == 2)
        return (registry, catalog, engine)
    }

    static func check(
        _ catalog: SchemaCatalog, _ settings: [String: String], key: [UInt8]? = nil, value: [UInt8]?, headers: [LogHeader] = [],
        topic: String = "events"
    ) throws -> [RecordRejection] {
        RegistryRecordValidator(catalog: catalog).validate(
            topic: topic, configuration: try TopicConfiguration(settings), partition: 0,
            records: [LogRecord(key: key, value: value, timestamp: 0, headers: headers)])
    }

    @Test func fullDecodesThePayloadAndNamesWhatIsWrong() async throws {
        let (_, catalog, engine) = try await Self.setUp()
        let full = ["value.schema.validation": "full"]
        #expect(try Self.check(catalog, full, value: Self.framed(1)).isEmpty)
        var p = Self.payload
        let cases: [(String, [UInt8], String)] = [
            (
                "flipped union index",
                {
                    var b = p; b[1] = 0x04; return b
                }(), "union"
            ),
            (
                "enum index out of range",
                {
                    var b = p; b[0] = 0x0e; return b
                }(), "enum"
            ),
            ("truncated string", Array(p[0..<7]), ""),
            (
                "invalid UTF-8",
                {
                    var b = p; b[6] = 0xff; return b
                }(), "UTF-8"
            ),
            ("trailing byte", p + [0], ""),
        ]
        // Path into the schema and byte offset from the start of the framed value (payload at byte 5).
        let located: [String: (String, Int)] = [
            "flipped union index": ("/fields/1/type", 6), "enum index out of range": ("/fields/0/type", 5),
            "truncated string": ("/fields/2/type", 10), "invalid UTF-8": ("/fields/2/type", 11), "trailing byte": ("/", 15),
        ]
        for (name, bytes, word) in cases {
            let found = try Self.check(catalog, full, value: Self.framed(1, bytes))
            #expect(found.count == 1, "\(name)")
            #expect(
                found.first?.part == "value" && found.first?.schemaID == 1
                    && found.first?.code == RegistryRecordValidator.ReasonCode.payload,
                "\(name)")
            #expect(found.first?.path == located[name]?.0 && found.first?.byteOffset == located[name]?.1, "\(name): \(found)")
            if !word.isEmpty {
                #expect(found.first?.reason.localizedStandardContains(word) == true, "\(name): \(found.first?.reason ?? "")")
            }
        }
        // Checked along with a key and a header (the slow path for each record), the verdicts are the same.
        let keyed = RegistryRecordValidator(catalog: catalog).validate(
            topic: "events",
            configuration: try TopicConfiguration([
                "value.schema.validation": "full", "key.schema.validation": "id", "key.subject.name.strategy": "record",
            ]),
            partition: 0,
            records: [
                LogRecord(key: Self.framed(1), value: Self.framed(1), timestamp: 0, headers: [LogHeader(key: "h", value: [1])]),
                LogRecord(key: nil, value: Self.framed(1, cases[0].1), timestamp: 0),
                LogRecord(key: Self.framed(1), value: Self.framed(1, cases[4].1), timestamp: 0),
            ])
        #expect(keyed.map(\.index) == [0, 1, 2] && keyed.map(\.part) == ["key", "value", "key"], "\(keyed)")
        p[1] = 0x04
        // `id` checks the frame and the subject only: the same corrupt payload passes.
        #expect(try Self.check(catalog, ["value.schema.validation": "id"], value: Self.framed(1, p)).isEmpty)
        // `none` accepts anything; a server default of `full` applies to a topic that sets no level.
        #expect(try Self.check(catalog, [:], value: [1, 2, 3]).isEmpty)
        let strict = RegistryRecordValidator(catalog: catalog, defaultLevel: .full)
        #expect(
            strict.validate(
                topic: "events", configuration: TopicConfiguration(), partition: 0,
                records: [LogRecord(key: nil, value: [1, 2, 3], timestamp: 0)]
            ).count == 1)
        #expect(
            strict.validate(
                topic: "events", configuration: TopicConfiguration(), partition: 0,
                records: [LogRecord(key: nil, value: Self.framed(1), timestamp: 0)]
            ).isEmpty)
        #expect(
            strict.validate(
                topic: "events", configuration: try TopicConfiguration(["value.schema.validation": "none"]), partition: 0,
                records: [LogRecord(key: nil, value: [1, 2, 3], timestamp: 0)]
            ).isEmpty)
        await engine.shutdown()
    }

    @Test func framesIDsAndSubjectsAreChecked() async throws {
        let (_, catalog, engine) = try await Self.setUp()
        let id = ["value.schema.validation": "id"]
        func reason(_ value: [UInt8]?, _ settings: [String: String] = id, headers: [LogHeader] = []) throws -> String? {
            try Self.check(catalog, settings, value: value, headers: headers).first?.reason
        }
        #expect(try reason(Self.framed(9))?.contains("schema ID 9 is not registered") == true)
        #expect(try reason(Self.framed(2))?.contains("not registered under subject 'events-value'") == true)
        #expect(try reason([1] + Array(Self.framed(1).dropFirst()))?.contains("magic byte 1") == true)
        #expect(try reason(Self.payload)?.contains("not the Confluent wire format") == true)
        #expect(try reason([0, 0])?.contains("cannot hold the Confluent wire prefix") == true)
        #expect(
            try reason(Self.framed(1), headers: [LogHeader(key: "__value_schema_id", value: [1])])?.contains("__value_schema_id") == true)
        // Tombstones and null keys.
        #expect(try reason(nil) == nil)
        #expect(try reason(nil, ["value.schema.validation": "id", "value.tombstones": "reject"])?.contains("tombstones") == true)
        #expect(try Self.check(catalog, ["key.schema.validation": "full"], key: nil, value: nil).isEmpty)
        #expect(try Self.check(catalog, ["key.schema.validation": "id"], key: Self.framed(1), value: nil).first?.part == "key")
        await engine.shutdown()
    }

    @Test func strategiesLatestOnlyAndAliases() async throws {
        let (registry, catalog, engine) = try await Self.setUp()
        // RecordNameStrategy: the subject is the record's full name.
        _ = try await registry.register(subject: "com.example.Evt", schema: Self.schema)
        #expect(
            try Self.check(catalog, ["value.schema.validation": "full", "value.subject.name.strategy": "record"], value: Self.framed(1))
                .isEmpty)
        #expect(
            try Self.check(
                catalog, ["value.schema.validation": "id", "value.subject.name.strategy": "topic-record"], value: Self.framed(1)
            ).first?.reason
                .contains("events-com.example.Evt") == true)
        // Aliases: Confluent's flag and strategy class names, Redpanda's flag.
        #expect(try Self.check(catalog, ["confluent.value.schema.validation": "true"], value: Self.framed(2)).count == 1)
        #expect(try Self.check(catalog, ["redpanda.value.schema.id.validation": "true"], value: Self.framed(2)).count == 1)
        #expect(
            try Self.check(
                catalog,
                [
                    "confluent.value.schema.validation": "true",
                    "confluent.value.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy",
                ], value: Self.framed(1)
            ).isEmpty)
        // schema.versions=latest: a newer version makes the older ID unacceptable; a new one is accepted at once.
        try await registry.setCompatibility(.none, subject: "events-value")
        let v2 = try await registry.register(
            subject: "events-value",
            schema: #"{"type":"record","name":"Evt","namespace":"com.example","fields":[{"name":"n","type":"int"}]}"#)
        #expect(try Self.check(catalog, ["value.schema.validation": "id"], value: Self.framed(1)).isEmpty)
        #expect(try Self.check(catalog, ["value.schema.validation": "id", "schema.versions": "latest"], value: Self.framed(1)).count == 1)
        #expect(
            try Self.check(catalog, ["value.schema.validation": "full", "schema.versions": "latest"], value: Self.framed(v2.id, [0x0a]))
                .isEmpty)
        // A hard-deleted version is refused; a soft-deleted one still passes with `any`.
        _ = try await registry.deleteVersion(.number(1), of: "events-value", permanent: false)
        #expect(try Self.check(catalog, ["value.schema.validation": "id"], value: Self.framed(1)).isEmpty)
        _ = try await registry.deleteVersion(.number(1), of: "events-value", permanent: true)
        #expect(try Self.check(catalog, ["value.schema.validation": "id"], value: Self.framed(1)).count == 1)
        // Bad settings are refused by name.
        #expect(
            try Self.check(catalog, ["value.schema.validation": "strict"], value: Self.framed(1)).first?.reason.contains(
                "value.schema.validation") == true)
        await engine.shutdown()
    }

    @Test func theLogRefusesAWholeBatchWithOneBadRecordAndStoresNothing() async throws {
        let (_, _, engine) = try await Self.setUp()
        try await engine.createTopic("events", partitions: 1, configuration: try TopicConfiguration(["value.schema.validation": "full"]))
        var bad = Self.payload
        bad[0] = 0x0e
        do {
            _ = try await engine.append(
                topic: "events",
                records: [
                    LogRecord(key: nil, value: Self.framed(1), timestamp: 0),
                    LogRecord(key: nil, value: Self.framed(1, bad), timestamp: 0),
                    LogRecord(key: nil, value: Self.framed(1), timestamp: 0),
                ])
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidRecord)
            #expect(error.rejections.map(\.index) == [1])
            #expect(error.rejections.first?.part == "value" && error.rejections.first?.schemaID == 1)
        }
        #expect(try await engine.read(topic: "events", partition: 0, from: 0).isEmpty)
        #expect(try await engine.append(topic: "events", records: [LogRecord(key: nil, value: Self.framed(1), timestamp: 0)]).count == 1)
        await engine.shutdown()
    }
}

extension ValidationTests {
    /// A 5 KB value declaring four billion nulls (`array<array<null>>`) is refused by the per-record item
    /// budget at its second block, not walked; the budget is a topic setting.
    @Test func nestedZeroByteItemsAreRefusedByTheItemBudget() async throws {
        let (registry, catalog, engine) = try await Self.setUp()
        let id = try await registry.register(subject: "nulls-value", schema: #"{"type":"array","items":{"type":"array","items":"null"}}"#)
            .id
        func nested(outer: Int, inner: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            Varint.append(Varint.zigZag(Int64(outer)), to: &bytes)
            for _ in 0..<outer {
                Varint.append(Varint.zigZag(Int64(inner)), to: &bytes)
                bytes.append(0)
            }
            return bytes + [0]
        }
        let full = ["value.schema.validation": "full"]
        let hostile = Self.framed(id, nested(outer: 1_000, inner: 4_000_000))
        #expect(hostile.count < 6_000)
        let refused = try Self.check(catalog, full, value: hostile, topic: "nulls")
        #expect(refused.count == 1)
        #expect(refused.first?.reason.contains("items that take no bytes") == true, "\(refused.first?.reason ?? "")")
        #expect(refused.first?.reason.contains("the item budget") == true)
        // The budget per topic: 1,000 nulls pass by default and are refused under a budget of 999.
        #expect(try Self.check(catalog, full, value: Self.framed(id, nested(outer: 1, inner: 1_000)), topic: "nulls").isEmpty)
        let tight = full.merging(["validation.max.empty.items": "999"]) { $1 }
        #expect(try Self.check(catalog, tight, value: Self.framed(id, nested(outer: 1, inner: 1_000)), topic: "nulls").count == 1)
        #expect(throws: LogError.self) { try TopicValidationPolicy(settings: ["validation.max.empty.items": "many"]) }
        await engine.shutdown()
    }
}
