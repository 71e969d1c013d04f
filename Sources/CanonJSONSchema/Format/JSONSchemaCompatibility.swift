import CanonCore

/// Confluent's JSON Schema compatibility as the registry reports it: the typed diff from the writer
/// (earlier) schema to the reader (new) one, each incompatible difference a message in Confluent's
/// JSON Schema shape, `{errorType:"…", description:"…"}`.
enum JSONSchemaCompatibility {
    static func incompatibilities(
        reader: JSONParsedSchema, writer: JSONParsedSchema, readerRole: SchemaRole, budget: Int, policy: JSONSchemaDiff.Policy = .strict
    ) throws -> [CompatibilityMessage] {
        let differences = try JSONSchemaDiff.compare(
            original: writer.schema, update: reader.schema, originalDocuments: writer.references, updateDocuments: reader.references,
            policy: policy, budget: budget)
        let (readerName, writerName) = readerRole == .new ? ("new", "old") : ("old", "new")
        return differences.filter { !policy.compatible.contains($0.type) }.map { difference in
            let description = Self.description(difference, reader: readerName, writer: writerName)
            return CompatibilityMessage(
                errorType: difference.type, description: description,
                text: #"{errorType:"\#(difference.type)", description:"\#(description)"}"#)
        }
    }

    /// Confluent's sentence for a difference type, naming the path and which schema is which.
    static func description(_ d: JSONSchemaDiff.Difference, reader: String, writer: String) -> String {
        let p = d.path
        switch d.type {
        case "MAXIMUM_ADDED", "MINIMUM_ADDED", "EXCLUSIVE_MAXIMUM_ADDED", "EXCLUSIVE_MINIMUM_ADDED", "MULTIPLE_OF_ADDED",
            "MAX_LENGTH_ADDED",
            "MIN_LENGTH_ADDED", "PATTERN_ADDED", "REQUIRED_ATTRIBUTE_ADDED", "MAX_PROPERTIES_ADDED", "MIN_PROPERTIES_ADDED",
            "DEPENDENCY_ARRAY_ADDED", "DEPENDENCY_SCHEMA_ADDED", "MAX_ITEMS_ADDED", "MIN_ITEMS_ADDED", "MAX_CONTAINS_ADDED",
            "MIN_CONTAINS_ADDED", "UNIQUE_ITEMS_ADDED", "ADDITIONAL_ITEMS_REMOVED", "ADDITIONAL_PROPERTIES_REMOVED",
            "UNEVALUATED_PROPERTIES_REMOVED", "UNEVALUATED_ITEMS_REMOVED":
            return "The keyword at path '\(p)' in the \(reader) schema is not present in the \(writer) schema"
        case "MIN_LENGTH_INCREASED", "MINIMUM_INCREASED", "EXCLUSIVE_MINIMUM_INCREASED", "MIN_PROPERTIES_INCREASED", "MULTIPLE_OF_EXPANDED",
            "MIN_ITEMS_INCREASED", "MIN_CONTAINS_INCREASED":
            return "The value at path '\(p)' in the \(reader) schema is more than its value in the \(writer) schema"
        case "MAX_LENGTH_DECREASED", "MAXIMUM_DECREASED", "MAX_ITEMS_DECREASED", "MAX_CONTAINS_DECREASED", "EXCLUSIVE_MAXIMUM_DECREASED",
            "MAX_PROPERTIES_DECREASED":
            return "The value at path '\(p)' in the \(reader) schema is less than its value in the \(writer) schema"
        case "PATTERN_CHANGED", "MULTIPLE_OF_CHANGED", "DEPENDENCY_ARRAY_CHANGED":
            return "The value at path '\(p)' is different between the \(reader) and \(writer) schema"
        case "ADDITIONAL_ITEMS_NARROWED", "ENUM_ARRAY_NARROWED", "SUM_TYPE_NARROWED", "ADDITIONAL_PROPERTIES_NARROWED",
            "UNEVALUATED_PROPERTIES_NARROWED", "UNEVALUATED_ITEMS_NARROWED":
            return "An array or combined type at path '\(p)' has fewer elements in the \(reader) schema than the \(writer) schema"
        case "DEPENDENCY_ARRAY_EXTENDED", "PRODUCT_TYPE_EXTENDED", "SUM_TYPE_EXTENDED", "NOT_TYPE_EXTENDED":
            return "An array or combined type at path '\(p)' has more elements in the \(reader) schema than the \(writer) schema"
        case "TYPE_CHANGED", "TYPE_NARROWED", "COMBINED_TYPE_CHANGED", "COMBINED_TYPE_SUBSCHEMAS_CHANGED", "ENUM_ARRAY_CHANGED":
            return "A type at path '\(p)' is different between the \(reader) schema and the \(writer) schema"
        case "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
            "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "ITEM_ADDED_TO_OPEN_CONTENT_MODEL":
            return
                "The \(reader) schema has an open content model and has a property or item at path '\(p)' which is missing in the \(writer) schema"
        case "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL":
            return
                "The \(reader) schema has an unopen content model and has a required property at path '\(p)' which is missing in the \(writer) schema"
        case "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL":
            return
                "The \(reader) schema has a closed content model and is missing a property or item present at path '\(p)' in the \(writer) schema"
        case "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL":
            return
                "A property or item is missing in the \(reader) schema but present at path '\(p)' in the \(writer) schema and is not covered by its partially open content model"
        case "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL":
            return
                "The \(reader) schema has a property or item at path '\(p)' which is missing in the \(writer) schema and is not covered by its partially open content model"
        case "SCHEMA_ADDED":
            return "The keyword at path '\(p)' in the \(reader) schema is not present in the \(writer) schema"
        default:
            return ""
        }
    }
}
