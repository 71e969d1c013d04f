import CanonCore
import Foundation

/// A Kafka topic whose keys and values are JSON Schema types: generated from `canon-codegen.json`, one
/// descriptor per topic, naming the key and value types and their registry subjects.
public protocol JSONTopic: TopicDescriptor {
    associatedtype Key: JSONSchemaCodable
    associatedtype Value: JSONSchemaCodable
}

/// Serializes a topic's keys and values as Confluent's JSON Schema serializer does: magic byte 0, the
/// schema ID from `source`, the JSON.
public struct JSONTopicSerializer<Topic: JSONTopic>: Sendable {
    /// Where schema IDs come from (a registry client may register the schemas on first use).
    public let source: any SchemaSource

    /// A serializer taking IDs from `source`.
    public init(source: any SchemaSource) { self.source = source }

    /// The framed key and value bytes of one event.
    public func serialize(key: Topic.Key, value: Topic.Value) async throws -> (key: [UInt8], value: [UInt8]) {
        let keyID = try await source.schemaID(subject: Topic.keySubject, schema: Topic.Key.jsonSchema, schemaType: .json)
        let valueID = try await source.schemaID(subject: Topic.valueSubject, schema: Topic.Value.jsonSchema, schemaType: .json)
        return (try key.framed(schemaID: keyID), try value.framed(schemaID: valueID))
    }
}

/// Reads a topic's framed keys and values. With `validates`, each payload is first validated against the
/// writer schema its ID names (compiled once per ID), and a payload that does not conform is refused
/// with a ``JSONTopicDecodingError`` naming where.
public struct JSONTopicDeserializer<Topic: JSONTopic>: Sendable {
    /// Where writer schemas come from, by the ID each payload carries.
    public let source: any SchemaSource
    /// Whether each payload is validated against its writer schema before it is decoded.
    public let validates: Bool
    private let validators = Locked<[Int32: any PayloadValidator]>([:])

    /// A deserializer reading writer schemas from `source`; with `validates`, payloads are validated.
    public init(source: any SchemaSource, validates: Bool = false) {
        self.source = source
        self.validates = validates
    }

    /// The key and value of one event.
    public func deserialize(key: [UInt8], value: [UInt8]) async throws -> (key: Topic.Key, value: Topic.Value) {
        (try await decode(Topic.Key.self, key), try await decode(Topic.Value.self, value))
    }

    private func decode<T: JSONSchemaCodable>(_ type: T.Type, _ framed: [UInt8]) async throws -> T {
        if let problem = ConfluentFraming.headerProblem(framed) { throw JSONTopicDecodingError(schemaID: nil, message: problem, path: nil) }
        let id = ConfluentFraming.schemaID(framed)
        if validates {
            let validator: any PayloadValidator
            if let known = validators.withValue({ $0[id] }) {
                validator = known
            } else {
                let registered = try await source.registeredSchema(id: id)
                guard registered.type == .json else {
                    throw JSONTopicDecodingError(schemaID: id, message: "schema \(id) is \(registered.type), not JSON", path: nil)
                }
                validator = try registered.parse(with: JSONSchemaFormat()).makeValidator()
                validators.withValue { $0[id] = validator }
            }
            do {
                try validator.validatePayload(framed, from: 5, limits: PayloadLimits())
            } catch {
                throw JSONTopicDecodingError(schemaID: id, message: error.message, path: error.path)
            }
        }
        return try T(jsonBytes: framed[5...])
    }
}

/// A framed JSON payload a deserializer refused: not framed, or not valid under its writer schema.
public struct JSONTopicDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The writer schema ID, when the header was readable.
    public var schemaID: Int32?
    /// What is wrong.
    public var message: String
    /// The JSON pointer of the offending value, when the schema refused it.
    public var path: String?

    public var description: String {
        let place = path.map { message.hasPrefix($0) ? "" : "\($0): " } ?? ""
        return (schemaID.map { "schema \($0): " } ?? "") + place + message
    }
}
