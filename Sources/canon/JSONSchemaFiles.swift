import ArgumentParser
import CanonCore
import CanonJSONSchema

/// The format of a schema file: `--type`, else its extension (`.avsc` Avro, `.json` JSON Schema).
enum SchemaFileType: String, ExpressibleByArgument, CaseIterable {
    case avro
    case json
    case xsd

    init(_ type: SchemaFileType?, path: String) {
        if let type {
            self = type
        } else if path.hasSuffix(".xsd") {
            self = .xsd
        } else {
            self = path.hasSuffix(".json") && !path.hasSuffix(".avsc.json") ? .json : .avro
        }
    }
}

/// JSON Schema files for the CLI: read, checked against their meta-schema and compiled, with the other
/// files given available to their `$ref`s by `$id`.
enum JSONSchemaFiles {
    /// Every file's schema by its `$id` (for references between them).
    static func documents(_ texts: [(String, JSONValue)]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (file, schema) in texts {
            out[file] = schema
            if let id = schema["$id"]?.stringValue ?? schema["id"]?.stringValue { out[id] = schema }
        }
        return out
    }

    static func parse(_ file: String) throws(CLIFailure) -> JSONValue {
        let text = try readText(file)
        do {
            return try JSONReader.parse(text)
        } catch {
            throw .failed("\(file): invalid: not JSON: \(error)")
        }
    }

    /// The schema's problems: against its draft's meta-schema, then compiling it. Empty when valid.
    static func problems(_ schema: JSONValue, file: String, documents: [String: JSONValue]) -> [String] {
        var options = JSONSchemaValidator.Options()
        options.documents = documents
        let compiled: JSONSchemaValidator
        do {
            compiled = try JSONSchemaValidator(schema: schema, baseURI: file, options: options)
        } catch {
            return ["\(error)"]
        }
        if let failure = JSONSchemaValidator.metaSchema(compiled.draft).validate(schema) {
            return ["not a valid \(compiled.draft) schema: \(failure)"]
        }
        return []
    }

    static func validator(_ file: String, assertsFormats: Bool = false) throws(CLIFailure) -> JSONSchemaValidator {
        let schema = try parse(file)
        var options = JSONSchemaValidator.Options()
        options.documents = documents([(file, schema)])
        options.assertsFormats = assertsFormats
        do {
            return try JSONSchemaValidator(schema: schema, baseURI: file, options: options)
        } catch {
            throw .failed("\(file): invalid: \(error)")
        }
    }
}
