import CanonCore

/// JSON Schema as a ``SchemaFormat``: schemas compiled by ``JSONSchemaValidator`` (references named by
/// Confluent's reference names), payloads parsed as strict UTF-8 JSON and validated.
public struct JSONSchemaFormat: SchemaFormat {
    /// Whether `format` is asserted in payloads (otherwise an annotation).
    public var assertsFormats: Bool

    public init(assertsFormats: Bool = false) {
        self.assertsFormats = assertsFormats
    }

    public var type: SchemaType { .json }
    public var restProxyName: String { "JSONSCHEMA" }

    public func makeParser() -> any SchemaParser { Parser(assertsFormats: assertsFormats) }

    /// Confluent's rules, with its LENIENT set when `policy` says so (STRICT otherwise).
    public func incompatibilities(
        reader: any ParsedSchema, writer: any ParsedSchema, readerRole: SchemaRole, budget: Int, policy: CompatibilityPolicy?
    ) throws -> [CompatibilityMessage] {
        guard let reader = reader as? JSONParsedSchema, let writer = writer as? JSONParsedSchema else {
            throw JSONSchemaError("a JSON schema can only be compared with another JSON schema", at: "")
        }
        return try JSONSchemaCompatibility.incompatibilities(
            reader: reader, writer: writer, readerRole: readerRole, budget: budget, policy: policy == .lenient ? .lenient : .strict)
    }

    /// The referenced schemas as documents a `$ref` can name: by the reference's name (what Confluent's
    /// serializers write in `$ref`) and by the schema's `$id`.
    struct Parser: SchemaParser {
        var assertsFormats: Bool
        var documents: [String: JSONValue] = [:]

        mutating func load(reference name: String, schema text: String, origin: String) throws {
            let schema: JSONValue
            do {
                schema = try JSONReader.parse(text)
            } catch {
                throw JSONSchemaError("\(origin) is not JSON: \(error)", at: name)
            }
            documents[name] = schema
            if let id = schema["$id"]?.stringValue ?? schema["id"]?.stringValue { documents[id] = schema }
        }

        func parse(_ text: String) throws -> any ParsedSchema {
            let schema: JSONValue
            do {
                schema = try JSONReader.parse(text)
            } catch {
                throw JSONSchemaError("the schema is not JSON: \(error)", at: "")
            }
            var options = JSONSchemaValidator.Options()
            options.documents = documents
            options.assertsFormats = assertsFormats
            let validator = try JSONSchemaValidator(schema: schema, options: options)
            return JSONParsedSchema(schema: schema, validator: validator, references: documents)
        }
    }
}

/// A parsed JSON schema as a ``ParsedSchema``.
public struct JSONParsedSchema: ParsedSchema {
    /// The schema as written.
    public let schema: JSONValue
    /// Its compiled validation plan.
    public let validator: JSONSchemaValidator
    /// The referenced schemas, by the names `$ref` uses.
    public let references: [String: JSONValue]

    public var type: SchemaType { .json }
    /// The schema re-serialized compactly, members in their order (Confluent's canonical string).
    public var canonicalText: String { schema.jsonText }
    /// Every object's members sorted by name, recursively (Confluent's `normalize=true` for JSON Schema).
    public var normalizedText: String { schema.sortedKeys.jsonText }
    public var resolvedText: String { canonicalText }
    /// The `title`, as Confluent's RecordNameStrategy takes it.
    public var recordName: String? { schema["title"]?.stringValue }

    public func makeValidator() -> any PayloadValidator { JSONPayloadValidator(validator: validator) }

    /// The value's JSON text, after checking it against the schema; `NaN` and infinities are no JSON.
    public func encode(json: JSONValue) throws -> [UInt8] {
        let text = Array(json.jsonText.utf8)
        // Re-reading the text strictly refuses what RFC 8259 has no form for (the text is already JSON otherwise).
        try JSONPayloadValidator(validator: validator).validatePayload(text, from: 0, limits: .default)
        return text
    }

    public func decodeJSON(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) -> JSONValue {
        try JSONPayloadValidator.parse(bytes, from: start, limits: limits)
    }
}

/// `full` for JSON payloads: strict UTF-8 JSON (RFC 8259: no NaN or Infinity), valid for the schema.
struct JSONPayloadValidator: PayloadValidator {
    let validator: JSONSchemaValidator

    /// The payload `bytes[start...]` read strictly, within the size limit.
    static func parse(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) -> JSONValue {
        guard bytes.count - start <= limits.maxTotalSize else {
            throw PayloadError(message: "\(bytes.count - start) bytes of JSON exceed the limit of \(limits.maxTotalSize)", isLimit: true)
        }
        do {
            return try JSONReader.parse(bytes: bytes, from: start, strict: true)
        } catch {
            throw PayloadError(message: "the payload is not JSON: \(error)", byteOffset: error.offset)
        }
    }

    func validatePayload(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) {
        let value = try Self.parse(bytes, from: start, limits: limits)
        if let failure = validator.validate(value) {
            throw PayloadError(
                message:
                    "\(failure.instancePath.isEmpty ? "the value" : failure.instancePath): \(failure.message) (keyword \(failure.keyword))",
                path: failure.instancePath)
        }
    }
}
