import CanonCore

/// Avro as a ``SchemaFormat``: schemas parsed by ``AvroSchemaParser``, identified by their full rendering,
/// compared by ``AvroCompatibilityChecker``, payloads checked by ``AvroDatumValidator``.
public struct AvroFormat: SchemaFormat {
    /// Whether a field's default must match its type (Confluent's `avro.validate.defaults`, off by
    /// default there too, so every schema a Confluent registry took can be imported).
    public var validatesDefaults: Bool

    public init(validatesDefaults: Bool = false) {
        self.validatesDefaults = validatesDefaults
    }

    public var type: SchemaType { .avro }
    public var restProxyName: String { "AVRO" }

    public func makeParser() -> any SchemaParser {
        Parser(parser: AvroSchemaParser(validatesDefaults: validatesDefaults), hasReferences: false)
    }

    /// Avro's rules have no policy: `policy` is not read.
    public func incompatibilities(
        reader: any ParsedSchema, writer: any ParsedSchema, readerRole: SchemaRole, budget: Int, policy: CompatibilityPolicy?
    ) throws -> [CompatibilityMessage] {
        guard let reader = reader as? AvroParsedSchema, let writer = writer as? AvroParsedSchema else {
            throw AvroError(.invalidSchema, "an Avro schema can only be compared with another Avro schema")
        }
        return try AvroCompatibilityChecker(maximumSteps: budget).incompatibilities(
            reader: reader.schema, writer: writer.schema, readerRole: readerRole)
    }

    /// ``AvroSchemaParser`` with the referenced schemas' named types loaded.
    struct Parser: SchemaParser {
        var parser: AvroSchemaParser
        var hasReferences: Bool

        mutating func load(reference name: String, schema text: String, origin: String) throws {
            _ = try parser.parse(text, file: origin)
            hasReferences = true
        }

        func parse(_ text: String) throws -> any ParsedSchema {
            var parser = self.parser
            let schema = try parser.parse(text)
            // Without references the identity is the full rendering (every attribute, Java's member
            // order); with them, the submitted JSON re-serialized compactly (the rendering would inline
            // the referenced types).
            let canonical = hasReferences ? try JSONReader.parse(text).jsonText : schema.fullRendering
            return AvroParsedSchema(schema: schema, canonicalText: canonical)
        }
    }
}

/// A parsed Avro schema as a ``ParsedSchema``.
public struct AvroParsedSchema: ParsedSchema {
    /// The schema, its references resolved.
    public let schema: AvroSchema
    public let canonicalText: String

    public init(schema: AvroSchema, canonicalText: String) {
        self.schema = schema
        self.canonicalText = canonicalText
    }

    public var type: SchemaType { .avro }
    /// The full rendering is already normalized (names resolved, attributes in one order, no whitespace).
    public var normalizedText: String { canonicalText }
    public var resolvedText: String { schema.fullRendering }
    public var recordName: String? { schema.rootNode.name?.fullName }

    public func makeValidator() -> any PayloadValidator { AvroDatumValidator(schema) }

    public func encode(json: JSONValue) throws -> [UInt8] {
        try schema.encode(try AvroJSON.decode(json, schema: schema))
    }

    public func decodeJSON(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) -> JSONValue {
        do {
            return try AvroJSON.encode(try schema.decode(Array(bytes[start...]), limits: limits), schema: schema)
        } catch {
            throw error.payloadError
        }
    }
}

extension AvroDatumValidator: PayloadValidator {
    public func validatePayload(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) {
        do {
            try validate(bytes, from: start, limits: limits)
        } catch {
            throw error.payloadError
        }
    }
}

extension AvroError {
    /// This error as a payload's problem: where in the datum and at which byte (from the payload's start).
    var payloadError: PayloadError {
        PayloadError(message: message, path: location.jsonPath, byteOffset: location.byteOffset, isLimit: code == .limitExceeded)
    }
}
