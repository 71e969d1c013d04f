/// Where serializers get schema IDs and deserializers get writer schemas, in any format: a registry
/// client (`RegistryClient`), or ``FixedSchemaSource`` for tests and offline use.
public protocol SchemaSource: Sendable {
    /// The ID of `schema` (text of `schemaType`) under `subject`; a source may register it when it is new.
    func schemaID(subject: String, schema: String, schemaType: SchemaType) async throws -> Int32
    /// The schema an ID denotes, with the schemas it references.
    func registeredSchema(id: Int32) async throws -> RegisteredSchema
}

/// A schema as a registry holds it: its type, its text, and the schemas it references (what they
/// reference first), each under the name the referencing schema uses for it.
public struct RegisteredSchema: Sendable, Hashable {
    /// A referenced schema: the reference's name and the schema's text.
    public struct Referenced: Sendable, Hashable {
        /// The name the referencing schema uses for it.
        public var name: String
        /// Its text.
        public var text: String
        /// Where it came from, for errors (`orders-value version 3`).
        public var origin: String

        /// A referenced schema.
        public init(name: String, text: String, origin: String) {
            self.name = name
            self.text = text
            self.origin = origin
        }
    }

    /// The schema's format.
    public var type: SchemaType
    /// The schema as registered.
    public var text: String
    /// The schemas it references, what they reference first.
    public var references: [Referenced]

    /// A schema of `type` with its text and references.
    public init(type: SchemaType, text: String, references: [Referenced] = []) {
        self.type = type
        self.text = text
        self.references = references
    }

    /// Parses the schema with `format`, its references loaded first.
    public func parse(with format: any SchemaFormat) throws -> any ParsedSchema {
        var parser = format.makeParser()
        for r in references { try parser.load(reference: r.name, schema: r.text, origin: r.origin) }
        return try parser.parse(text)
    }
}

/// A fixed set of schemas by ID: never registers anything, and finds a schema's ID by its exact text.
public struct FixedSchemaSource: SchemaSource {
    private let byID: [Int32: RegisteredSchema]
    private let ids: [String: [RegisteredSchema: Int32]]

    /// `schemas`: ID -> subject and schema.
    public init(_ schemas: [Int32: (subject: String, schema: RegisteredSchema)]) {
        byID = schemas.mapValues(\.schema)
        var ids: [String: [RegisteredSchema: Int32]] = [:]
        for (id, entry) in schemas {
            ids[entry.subject, default: [:]][RegisteredSchema(type: entry.schema.type, text: entry.schema.text)] = id
        }
        self.ids = ids
    }

    /// Thrown when a source does not know a schema or an ID.
    public struct NotFound: Error, Sendable, CustomStringConvertible {
        /// What was not found.
        public var description: String
    }

    public func schemaID(subject: String, schema: String, schemaType: SchemaType) async throws -> Int32 {
        guard let id = ids[subject]?[RegisteredSchema(type: schemaType, text: schema)] else {
            throw NotFound(description: "the schema is not registered under \(subject)")
        }
        return id
    }

    public func registeredSchema(id: Int32) async throws -> RegisteredSchema {
        guard let schema = byID[id] else { throw NotFound(description: "no schema has ID \(id)") }
        return schema
    }
}
