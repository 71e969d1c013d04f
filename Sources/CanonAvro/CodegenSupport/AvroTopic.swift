import CanonCore

/// A Kafka topic whose keys and values are Avro: generated from `canon-codegen.json`, one descriptor per
/// topic, naming the key and value types and the registry subjects they are registered under.
public protocol AvroTopic: TopicDescriptor {
    associatedtype Key: AvroSerializable
    associatedtype Value: AvroSerializable
}

/// Serializes a topic's keys and values in Confluent's wire format, with schema IDs from `source`.
public struct AvroTopicSerializer<Topic: AvroTopic>: Sendable {
    public let source: any AvroSchemaSource

    public init(source: any AvroSchemaSource) { self.source = source }

    /// The framed key and value bytes of one event.
    public func serialize(key: Topic.Key, value: Topic.Value) async throws -> (key: [UInt8], value: [UInt8]) {
        let keyID = try await source.schemaID(subject: Topic.keySubject, schema: Topic.Key.avroSchema)
        let valueID = try await source.schemaID(subject: Topic.valueSubject, schema: Topic.Value.avroSchema)
        return (try key.framed(schemaID: keyID), try value.framed(schemaID: valueID))
    }
}

/// Reads a topic's framed keys and values, resolving each against the writer schema its ID names.
///
/// What to do with a writer schema ID is worked out once and kept: data written with the type's own
/// schema is decoded directly; data written with another version goes through a resolver planned for it.
public struct AvroTopicDeserializer<Topic: AvroTopic>: Sendable {
    public let source: any AvroSchemaSource
    private let keyPlans = Locked<[Int32: ReadPlan]>([:])
    private let valuePlans = Locked<[Int32: ReadPlan]>([:])

    /// How data of one writer schema ID is read.
    enum ReadPlan: Sendable {
        case own
        case resolve(AvroResolver)
    }

    public init(source: any AvroSchemaSource) { self.source = source }

    /// The key and value of one event.
    public func deserialize(key: [UInt8], value: [UInt8]) async throws -> (key: Topic.Key, value: Topic.Value) {
        (try await decode(Topic.Key.self, key, keyPlans), try await decode(Topic.Value.self, value, valuePlans))
    }

    private func decode<T: AvroSerializable>(_ type: T.Type, _ framed: [UInt8], _ plans: Locked<[Int32: ReadPlan]>) async throws -> T {
        let (id, payload) = try ConfluentFraming.split(framed)
        var plan = plans.withValue { $0[id] }
        if plan == nil {
            let writer = try await source.writerSchema(id: id)
            plan =
                Int64(bitPattern: writer.rabinFingerprint) == T.parsingCanonicalFormFingerprint
                ? .own : .resolve(try AvroResolver(writer: writer, reader: T.avroParsedSchema))
            plans.withValue { $0[id] = plan }
        }
        switch plan! {
        case .own: return try T(avroBinary: payload)
        case .resolve(let resolver): return try T(avroBinary: payload, resolvingWith: resolver)
        }
    }
}
