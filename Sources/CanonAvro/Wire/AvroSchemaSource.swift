import CanonCore

/// A ``SchemaSource`` for Avro: schema IDs for Avro schema texts, and writer schemas parsed (the
/// registry client, or ``FixedAvroSchemaSource`` for tests and offline use). Confluent's wire format
/// frames a datum as byte 0, a big-endian 4-byte schema ID, then the Avro binary.
public protocol AvroSchemaSource: SchemaSource {
    /// The ID of `schema` (Avro JSON text) under `subject`; a source may register it when it is new.
    func schemaID(subject: String, schema: String) async throws -> Int32
    /// The writer schema an ID denotes, parsed with the schemas it references.
    func writerSchema(id: Int32) async throws -> AvroSchema
}

extension AvroSchemaSource {
    /// An Avro schema's ID through the format-neutral requirement.
    public func schemaID(subject: String, schema: String) async throws -> Int32 {
        try await schemaID(subject: subject, schema: schema, schemaType: .avro)
    }

    /// The registered schema, parsed (``RegisteredSchema/writerSchema()``).
    public func writerSchema(id: Int32) async throws -> AvroSchema {
        try await registeredSchema(id: id).writerSchema()
    }
}

extension RegisteredSchema {
    /// The schema as an Avro writer schema: its references parsed first, field defaults unchecked
    /// (reading a writer's data never uses them).
    public func writerSchema() throws -> AvroSchema {
        guard type == .avro else { throw AvroError(.invalidSchema, "the schema is \(type), not Avro") }
        var parser = AvroSchemaParser(validatesDefaults: false)
        for r in references { _ = try parser.parse(r.text) }
        return try parser.parse(text)
    }
}

/// A fixed set of schemas by ID, for tests and offline use: never registers anything.
public struct FixedAvroSchemaSource: AvroSchemaSource {
    private let byID: [Int32: AvroSchema]
    private let ids: [String: [String: Int32]]
    /// Subject -> schema text as given and as rendered -> ID: a serializer's lookup needs no parse.
    private let idsByText: [String: [String: Int32]]

    /// `schemas`: ID -> (subject, schema text). A schema is found by its Parsing Canonical Form, so
    /// formatting does not matter.
    public init(_ schemas: [Int32: (subject: String, schema: String)]) throws(AvroError) {
        var byID: [Int32: AvroSchema] = [:]
        var ids: [String: [String: Int32]] = [:]
        var idsByText: [String: [String: Int32]] = [:]
        for (id, entry) in schemas {
            let parsed = try AvroSchema(parsing: entry.schema)
            byID[id] = parsed
            ids[entry.subject, default: [:]][parsed.canonicalForm] = id
            idsByText[entry.subject, default: [:]][entry.schema] = id
            idsByText[entry.subject, default: [:]][parsed.fullRendering] = id
        }
        self.byID = byID
        self.ids = ids
        self.idsByText = idsByText
    }

    public func schemaID(subject: String, schema: String, schemaType: SchemaType) async throws -> Int32 {
        guard schemaType == .avro else { throw AvroError(.invalidSchema, "a fixed Avro source has no \(schemaType) schemas") }
        return try await schemaID(subject: subject, schema: schema)
    }

    public func registeredSchema(id: Int32) async throws -> RegisteredSchema {
        RegisteredSchema(type: .avro, text: try await writerSchema(id: id).fullRendering)
    }

    public func schemaID(subject: String, schema: String) async throws -> Int32 {
        if let id = idsByText[subject]?[schema] { return id }
        let canonical = try AvroSchema(parsing: schema).canonicalForm
        guard let id = ids[subject]?[canonical] else {
            throw AvroError(.invalidSchema, "no schema with this canonical form is known under subject '\(subject)'")
        }
        return id
    }

    public func writerSchema(id: Int32) async throws -> AvroSchema {
        guard let schema = byID[id] else { throw AvroError(.invalidSchema, "no schema with ID \(id) is known") }
        return schema
    }
}
