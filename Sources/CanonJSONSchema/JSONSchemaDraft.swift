/// The JSON Schema drafts Canon validates, chosen by a schema's `$schema`.
public enum JSONSchemaDraft: Int, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case draft4 = 4
    case draft6 = 6
    case draft7 = 7
    case draft2019_09 = 2019
    case draft2020_12 = 2020

    /// The draft a `$schema` URI names (`http` or `https`, with or without the empty fragment); nil
    /// for another meta-schema.
    public init?(metaSchemaURI: String) {
        var uri = Substring(metaSchemaURI)
        if uri.hasSuffix("#") { uri = uri.dropLast() }
        if uri.hasPrefix("https://") { uri = "http://" + uri.dropFirst("https://".count) }
        switch uri {
        case "http://json-schema.org/draft-04/schema": self = .draft4
        case "http://json-schema.org/draft-06/schema": self = .draft6
        case "http://json-schema.org/draft-07/schema": self = .draft7
        case "http://json-schema.org/draft/2019-09/schema": self = .draft2019_09
        case "http://json-schema.org/draft/2020-12/schema": self = .draft2020_12
        default: return nil
        }
    }

    /// The meta-schema's URI.
    public var metaSchemaURI: String {
        switch self {
        case .draft4: return "http://json-schema.org/draft-04/schema#"
        case .draft6: return "http://json-schema.org/draft-06/schema#"
        case .draft7: return "http://json-schema.org/draft-07/schema#"
        case .draft2019_09: return "https://json-schema.org/draft/2019-09/schema"
        case .draft2020_12: return "https://json-schema.org/draft/2020-12/schema"
        }
    }

    public var description: String {
        switch self {
        case .draft4: return "draft-04"
        case .draft6: return "draft-06"
        case .draft7: return "draft-07"
        case .draft2019_09: return "2019-09"
        case .draft2020_12: return "2020-12"
        }
    }

    public static func < (a: JSONSchemaDraft, b: JSONSchemaDraft) -> Bool { a.rawValue < b.rawValue }

    /// The identifier keyword (`id` in draft 4).
    package var idKeyword: String { self == .draft4 ? "id" : "$id" }
    /// Whether `$ref` makes its siblings ignored (drafts 4 to 7).
    var refOverridesSiblings: Bool { self <= .draft7 }

    /// How a keyword holds subschemas, in this draft (nil: it holds none, or is not a keyword here).
    func subschemaShape(_ keyword: String) -> SubschemaShape? {
        switch keyword {
        case "additionalProperties", "not": return .single
        case "additionalItems": return self <= .draft2019_09 ? .single : nil
        case "items": return self <= .draft2019_09 ? .singleOrArray : .single
        case "prefixItems": return self >= .draft2020_12 ? .array : nil
        case "contains", "propertyNames": return self >= .draft6 ? .single : nil
        case "if", "then", "else": return self >= .draft7 ? .single : nil
        case "unevaluatedProperties", "unevaluatedItems", "contentSchema": return self >= .draft2019_09 ? .single : nil
        case "properties", "patternProperties", "definitions": return .map
        case "$defs", "dependentSchemas": return self >= .draft2019_09 ? .map : nil
        case "dependencies": return self <= .draft7 ? .mapOfSchemaOrStrings : nil
        case "allOf", "anyOf", "oneOf": return .array
        default: return nil
        }
    }

    enum SubschemaShape {
        case single, array, singleOrArray, map, mapOfSchemaOrStrings
    }
}
