import CanonCore

/// `Codable` in Avro's JSON encoding for generated types: a record is an object of its fields, a union
/// value other than null is wrapped as `{"<branch>": value}`, bytes and fixed are strings of code points
/// 0-255, logical types appear as their underlying type. The value goes through the schema's generic
/// codec, so the JSON is exactly what `canon datum` and other Avro implementations read and write.
public enum AvroJSONCoding {
    /// Encodes `value` as Avro JSON.
    public static func encode<T: AvroSerializable>(_ value: T, to encoder: any Encoder) throws {
        let schema = T.avroParsedSchema
        let generic = try schema.decode(try value.avroBinary())
        try AvroJSON.encode(generic, schema: schema).encode(to: encoder)
    }

    /// Decodes a value from Avro JSON.
    public static func decode<T: AvroSerializable>(_ type: T.Type, from decoder: any Decoder) throws -> T {
        let schema = T.avroParsedSchema
        let generic = try AvroJSON.decode(try JSONValue(from: decoder), schema: schema)
        return try T(avroBinary: try schema.encode(generic))
    }
}

extension AvroJSONCoding {
    /// Avro JSON's form of bytes and fixed: each byte as the code point of the same value.
    public static func latin1String(_ bytes: [UInt8]) -> String {
        AvroJSON.latin1String(bytes)
    }

    /// Bytes from Avro JSON's string form; a code point above 255 is an error.
    public static func latin1Bytes(_ text: String) throws(AvroError) -> [UInt8] {
        try AvroJSON.latin1Bytes(text) { AvroError(.datumMismatch, $0) }
    }
}
