import CanonCore

/// The body of a registration, a lookup or a compatibility check, as Confluent's
/// `RegisterSchemaRequest`: the schema text, its type, references, and in IMPORT mode the ID and
/// version to keep. Decoding it is where untrusted request bytes meet the registry (the server parses
/// the JSON, this reads the fields); `FuzzRegistryRequest` runs it on arbitrary bytes.
public struct SchemaRequest: Sendable, Equatable {
    /// The schema's text (never empty).
    public var schema: String
    /// `AVRO` when nil, as Confluent reads a missing type.
    public var schemaType: SchemaType?
    public var references: [SchemaReference]
    /// IMPORT mode only: the ID to keep (a negative one reads as none).
    public var id: Int32?
    /// IMPORT mode only: the version to keep.
    public var version: Int?

    /// Reads the request's fields, with Confluent's errors: 42201 "Empty schema" for a missing or empty
    /// schema, 42201 for fields of the wrong type or a malformed reference, 42205 for an ID or version
    /// beyond 2^31-1.
    public init(json: JSONValue) throws(RegistryError) {
        guard case .object = json else { throw .invalidSchema("the request body must be a JSON object") }
        // Confluent: a missing or empty schema is "Empty schema"; a schema that is not a string is not one.
        let schema: String
        switch json["schema"] {
        case .string(let s)? where !s.isEmpty: schema = s
        case .string?, .null?, nil: throw .emptySchema
        default: throw .invalidSchema("'schema' must be a string")
        }
        self.schema = schema
        switch json["schemaType"] {
        case .string(let t)?: schemaType = SchemaType(rawValue: t)
        case .null?, nil: schemaType = nil
        default: throw .invalidSchema("'schemaType' must be a string")
        }
        references = []
        if case .array(let refs)? = json["references"] {
            for r in refs {
                guard let reference = SchemaReference(json: r), reference.version == -1 || reference.version >= 1 else {
                    throw .invalidSchema("a reference needs 'name', 'subject' and 'version' (a number >= 1, or -1)")
                }
                references.append(reference)
            }
        }
        if let raw = json["id"]?.int64Value {
            guard raw < 0 || raw <= Int64(Int32.max) else {
                throw .notPermitted("id \(raw) is out of range (1 to \(Int32.max))")
            }
            id = raw < 0 ? nil : Int32(raw)  // Confluent reads a negative id as none
        }
        if let raw = json["version"]?.int64Value {
            guard raw < 0 || raw <= Int64(Int32.max) else {
                throw .notPermitted("version \(raw) is out of range (1 to \(Int32.max))")
            }
            version = raw < 0 ? nil : Int(raw)
        }
    }
}
