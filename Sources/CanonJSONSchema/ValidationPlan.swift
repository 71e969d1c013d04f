import CanonCore

/// A schema compiled once: every subschema a node, every keyword a check with its children's node
/// indices, references resolved to nodes. Validating walks the instance against the nodes; the schema's
/// JSON is not read again.
struct ValidationPlan: Sendable {
    var nodes: [Node] = []
    var resources: [Resource] = []
    /// Whether any node has `unevaluatedProperties`/`unevaluatedItems` (then evaluations collect
    /// which properties and items they evaluated).
    var tracksAnnotations = false
    var assertsFormats = false
    /// Every node's keywords in one array, node `n`'s at `ranges[n]` (filled by ``flatten()``): the
    /// evaluation reads a keyword without copying the node.
    var keywords: [Keyword] = []
    var ranges: [Range<Int>] = []

    /// Moves the nodes' keywords into ``keywords``.
    mutating func flatten() {
        keywords.removeAll()
        ranges.removeAll()
        for i in nodes.indices {
            let start = keywords.count
            keywords += nodes[i].keywords
            ranges.append(start..<keywords.count)
            nodes[i].keywords = []
        }
    }

    struct Node: Sendable {
        /// `true`/`false` schemas (and what an empty object is).
        var always: Bool?
        var keywords: [Keyword] = []
        /// The schema resource the node belongs to (for the dynamic scope).
        var resource: Int
        /// Where it is: the document's URI and a JSON pointer into it.
        var location: String
    }

    struct Resource: Sendable {
        var uri: String
        /// `$dynamicAnchor` names and their nodes (2020-12).
        var dynamicAnchors: [String: Int] = [:]
        /// `$recursiveAnchor: true` at its root (2019-09), and the root's node.
        var recursiveAnchor = false
        var root: Int?
    }

    /// The JSON types `type` names.
    struct Types: OptionSet, Sendable {
        let rawValue: UInt8
        static let null = Types(rawValue: 1)
        static let boolean = Types(rawValue: 2)
        static let object = Types(rawValue: 4)
        static let array = Types(rawValue: 8)
        static let number = Types(rawValue: 16)
        static let string = Types(rawValue: 32)
        static let integer = Types(rawValue: 64)

        init(rawValue: UInt8) { self.rawValue = rawValue }

        init?(name: String) {
            switch name {
            case "null": self = .null
            case "boolean": self = .boolean
            case "object": self = .object
            case "array": self = .array
            case "number": self = .number
            case "string": self = .string
            case "integer": self = .integer
            default: return nil
            }
        }
    }

    indirect enum Keyword: Sendable {
        case type(Types, names: String)
        case enumeration([JSONValue])
        case constant(JSONValue)
        case multipleOf(JSONNumber.Decimal, text: String)
        case maximum(JSONValue, exclusive: Bool)
        case minimum(JSONValue, exclusive: Bool)
        case maxLength(Int)
        case minLength(Int)
        case pattern(Pattern)
        case format(String)
        /// `properties`, `patternProperties` and `additionalProperties` together (one pass over the members).
        case properties(named: [String: Int], patterns: [(Pattern, Int)], additional: Int?)
        case propertyNames(Int)
        case required([String])
        case maxProperties(Int)
        case minProperties(Int)
        case dependentRequired([(String, [String])])
        case dependentSchemas([(String, Int)])
        /// `prefixItems` (or an `items` array) and what applies after them (`items` or `additionalItems`).
        case items(prefix: [Int], rest: Int?)
        case contains(Int, min: Int, max: Int?, annotates: Bool)
        case maxItems(Int)
        case minItems(Int)
        case uniqueItems
        case allOf([Int])
        case anyOf([Int])
        case oneOf([Int])
        case not(Int)
        case conditional(if: Int, then: Int?, else: Int?)
        case ref(Int)
        /// `$dynamicRef`: the node it resolves to, and the anchor name when that node's resource
        /// declares it with `$dynamicAnchor` (then the outermost resource in scope declaring it wins).
        case dynamicRef(Int, anchor: String?)
        /// `$recursiveRef`: the node, and whether it has `$recursiveAnchor: true`.
        case recursiveRef(Int, dynamic: Bool)
        case unevaluatedProperties(Int)
        case unevaluatedItems(Int)

        /// Whether it belongs to the validation vocabulary (assertions on one value, no subschemas).
        var isValidationVocabulary: Bool {
            switch self {
            case .type, .enumeration, .constant, .multipleOf, .maximum, .minimum, .maxLength, .minLength, .pattern, .required,
                .maxProperties, .minProperties, .dependentRequired, .maxItems, .minItems, .uniqueItems:
                return true
            default: return false
            }
        }

        /// The keyword's name in errors.
        var name: String {
            switch self {
            case .type: return "type"
            case .enumeration: return "enum"
            case .constant: return "const"
            case .multipleOf: return "multipleOf"
            case .maximum(_, let exclusive): return exclusive ? "exclusiveMaximum" : "maximum"
            case .minimum(_, let exclusive): return exclusive ? "exclusiveMinimum" : "minimum"
            case .maxLength: return "maxLength"
            case .minLength: return "minLength"
            case .pattern: return "pattern"
            case .format: return "format"
            case .properties: return "properties"
            case .propertyNames: return "propertyNames"
            case .required: return "required"
            case .maxProperties: return "maxProperties"
            case .minProperties: return "minProperties"
            case .dependentRequired: return "dependentRequired"
            case .dependentSchemas: return "dependentSchemas"
            case .items: return "items"
            case .contains: return "contains"
            case .maxItems: return "maxItems"
            case .minItems: return "minItems"
            case .uniqueItems: return "uniqueItems"
            case .allOf: return "allOf"
            case .anyOf: return "anyOf"
            case .oneOf: return "oneOf"
            case .not: return "not"
            case .conditional: return "if"
            case .ref: return "$ref"
            case .dynamicRef: return "$dynamicRef"
            case .recursiveRef: return "$recursiveRef"
            case .unevaluatedProperties: return "unevaluatedProperties"
            case .unevaluatedItems: return "unevaluatedItems"
            }
        }
    }
}
