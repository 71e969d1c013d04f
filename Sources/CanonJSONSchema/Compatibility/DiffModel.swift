import CanonCore

/// The shape Confluent's JSON Schema compatibility compares: a schema loaded into typed nodes as the
/// Java registry loads it (everit for drafts 4-7; json-sKema translated to everit's shapes for 2019-09
/// and 2020-12). One JSON object may become several nodes (a string schema with an `enum` is an
/// `allOf` of an enum and a string), which is what the differences are named after.
final class DiffNode {
    enum Kind: Equatable {
        case empty, trueSchema, falseSchema, boolean, null
        case string, number, object, array
        case enumeration, constant, combined, not, reference, conditional
    }

    enum Criterion: String {
        case allOf, anyOf, oneOf
    }

    let kind: Kind
    // Metadata.
    var id: String?
    var title: String?
    var description: String?
    var defaultValue: JSONValue?
    var unprocessed: [String: JSONValue] = [:]
    // String.
    var minLength: JSONValue?, maxLength: JSONValue?, pattern: String?
    // Number.
    var minimum: JSONValue?, maximum: JSONValue?, exclusiveMinimum: JSONValue?, exclusiveMaximum: JSONValue?, multipleOf: JSONValue?
    var requiresInteger = false
    // Object.
    var properties: [(String, DiffNode)] = []
    var required: [String] = []
    var patternProperties: [(String, DiffNode)] = []
    var permitsAdditional = true
    var additionalSchema: DiffNode?
    var minProperties: JSONValue?, maxProperties: JSONValue?
    var propertyDependencies: [(String, Set<String>)] = []
    var schemaDependencies: [(String, DiffNode)] = []
    var unevaluatedProperties: DiffNode?
    // Array.
    var allItems: DiffNode?
    var itemList: [DiffNode]?
    var permitsAdditionalItems = true
    var additionalItemsSchema: DiffNode?
    var minItems: JSONValue?, maxItems: JSONValue?
    var uniqueItems = false
    var unevaluatedItems: DiffNode?
    var minContains: JSONValue?, maxContains: JSONValue?
    // Enum, const, combined, not, reference.
    var values: [JSONValue] = []
    var criterion: Criterion = .allOf
    var subschemas: [DiffNode] = []
    /// A combination the loader made (of one object's keywords, or of a `type` array), not written as
    /// `allOf`/`anyOf`.
    var generated = false
    /// A reference's target. Weak: a recursive schema's nodes form a cycle through it; the loader keeps
    /// every target alive (``DiffLoader/targets``) while the comparison runs.
    weak var target: DiffNode?

    init(_ kind: Kind) { self.kind = kind }

    var isEmptyOrTrue: Bool { kind == .empty || kind == .trueSchema }

    func property(_ name: String) -> DiffNode? { properties.first { $0.0 == name }?.1 }

    /// The node a reference leads to.
    var resolved: DiffNode {
        var node = self
        var hops = 0
        while node.kind == .reference, let next = node.target, hops < 64 {
            node = next
            hops += 1
        }
        return node
    }
}

/// Loads JSON schemas into ``DiffNode``s.
struct DiffLoader {
    /// Referenced schemas by the names a `$ref` uses.
    private(set) var documents: [String: JSONValue]
    private var cache: [String: DiffNode] = [:]
    /// The root schema's `$id`: relative references resolve against it.
    private var rootID: String?
    /// How many nodes are being loaded, one inside another.
    private var depth = 0
    /// Every reference's target (the references hold them weakly): the loader must outlive the comparison.
    private(set) var targets: [DiffNode] = []
    private var steps = 0

    init(documents: [String: JSONValue]) { self.documents = documents }

    /// Whether Confluent reads `schema` with the 2019-09/2020-12 loader (`$schema` naming either, exactly).
    static func isModern(_ schema: JSONValue) -> Bool {
        guard let uri = schema["$schema"]?.stringValue else { return false }
        return [
            "http://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema",
            "http://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2019-09/schema",
        ].contains(uri)
    }

    mutating func load(_ schema: JSONValue) throws(JSONSchemaError) -> DiffNode {
        rootID = (schema["$id"]?.stringValue ?? schema["id"]?.stringValue).map { URIReference($0).base }
        addEmbeddedResources(schema)
        return Self.isModern(schema)
            ? try loadModern(schema, document: "", root: schema, isRoot: true)
            : try loadClassic(schema, document: "", root: schema)
    }

    /// Subschemas carrying their own `$id` (a bundled document, as Canon's generated types register) are
    /// documents a `$ref` may name by that `$id`, resolved against the root's.
    private mutating func addEmbeddedResources(_ schema: JSONValue) {
        var stack: [(value: JSONValue, isRoot: Bool)] = [(schema, true)]
        var visited = 0
        while let (value, isRoot) = stack.popLast(), visited < 100_000 {
            visited += 1
            switch value {
            case .object(let object):
                if !isRoot, object["$ref"] == nil, let id = object["$id"]?.stringValue ?? object["id"]?.stringValue, !id.hasPrefix("#") {
                    let uri = rootID.map { URIReference(base: $0, fragment: nil).resolving(id).base } ?? URIReference(id).base
                    if documents[uri] == nil { documents[uri] = value }
                }
                for (key, child) in object where key != "enum" && key != "const" && key != "default" && key != "examples" {
                    stack.append((child, false))
                }
            case .array(let items): for item in items { stack.append((item, false)) }
            default: break
            }
        }
    }

    private mutating func step() throws(JSONSchemaError) {
        steps += 1
        guard steps <= 1_000_000 else { throw JSONSchemaError("the schema is too large to compare", at: "") }
        guard depth < JSONSchemaDiff.maximumDepth else {
            throw JSONSchemaError("subschemas and the references between them nest more than \(JSONSchemaDiff.maximumDepth) deep", at: "")
        }
    }

    /// The node a `$ref` names (a reference node whose target is loaded once per target, so cycles end).
    private mutating func reference(
        _ ref: String, document: String, root: JSONValue, modern: Bool
    ) throws(JSONSchemaError) -> DiffNode {
        var uri = URIReference(ref)
        // A reference relative to the root's `$id`, or the root itself by its absolute URI.
        if let rootID, !uri.base.isEmpty, documents[uri.base] == nil, documents["./" + uri.base] == nil {
            let resolved = URIReference(base: rootID, fragment: nil).resolving(ref)
            if resolved.base == rootID {
                uri = URIReference(base: "", fragment: resolved.fragment)
            } else if documents[resolved.base] != nil {
                uri = resolved
            }
        }
        let targetDocument = uri.base.isEmpty ? document : uri.base
        let key = targetDocument + "#" + (uri.fragment ?? "")
        if let known = cache[key] { return known }
        let node = DiffNode(.reference)
        cache[key] = node
        let base: JSONValue
        if uri.base.isEmpty {
            base = root
        } else if let named = documents[uri.base] ?? documents["./" + uri.base] {
            base = named
        } else {
            throw JSONSchemaError("cannot resolve $ref '\(ref)'", at: document)
        }
        var value = base
        for token in JSONPointer.tokens(uri.fragment ?? "", fragment: true) ?? [] {
            switch value {
            case .object(let object): value = object[token] ?? .null
            case .array(let items): value = Int(token).flatMap { items.indices.contains($0) ? items[$0] : nil } ?? .null
            default: value = .null
            }
        }
        guard value != .null else { throw JSONSchemaError("cannot resolve $ref '\(ref)'", at: document) }
        depth += 1
        defer { depth -= 1 }
        let target =
            modern
            ? try loadModern(value, document: targetDocument, root: base, isRoot: false)
            : try loadClassic(value, document: targetDocument, root: base)
        targets.append(target)
        node.target = target
        return node
    }

    private func metadata(_ node: DiffNode, _ object: JSONObject, id: Bool, nullDefault: Bool) {
        if id { node.id = object["$id"]?.stringValue }
        node.title = object["title"]?.stringValue
        node.description = object["description"]?.stringValue
        if let value = object["default"], nullDefault || value != .null { node.defaultValue = value }
    }

    // MARK: - Drafts 4 to 7

    private static let objectKeywords: Set<String> = [
        "properties", "required", "minProperties", "maxProperties", "dependencies", "patternProperties", "additionalProperties",
        "propertyNames",
    ]
    private static let arrayKeywords: Set<String> = ["items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"]
    private static let numberKeywords: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]
    private static let stringKeywords: Set<String> = ["minLength", "maxLength", "pattern", "format"]

    private mutating func loadClassic(_ json: JSONValue, document: String, root: JSONValue) throws(JSONSchemaError) -> DiffNode {
        try step()
        depth += 1
        defer { depth -= 1 }
        switch json {
        case .bool(let b): return DiffNode(b ? .trueSchema : .falseSchema)
        case .object(let object):
            // A `$ref` makes its siblings ignored; the comparison sees only its target.
            if let ref = object["$ref"]?.stringValue { return try reference(ref, document: document, root: root, modern: false) }
            let node: DiffNode
            var remaining = Set(object.keys)
            var nodes: [DiffNode] = []
            if case .array(let values)? = object["enum"] {
                let e = DiffNode(.enumeration)
                e.values = values
                nodes.append(e)
                remaining.remove("enum")
            }
            for criterion in [DiffNode.Criterion.allOf, .anyOf, .oneOf] {
                guard case .array(let items)? = object[criterion.rawValue] else { continue }
                let c = DiffNode(.combined)
                c.criterion = criterion
                for item in items { c.subschemas.append(try loadClassic(item, document: document, root: root)) }
                nodes.append(c)
                remaining.remove(criterion.rawValue)
            }
            if let not = object["not"] {
                let n = DiffNode(.not)
                n.subschemas = [try loadClassic(not, document: document, root: root)]
                nodes.append(n)
                remaining.remove("not")
            }
            if let value = object["const"] {
                let c = DiffNode(.constant)
                c.values = [value]
                nodes.append(c)
                remaining.remove("const")
            }
            if let type = object["type"] {
                remaining.remove("type")
                func typed(_ name: String) throws(JSONSchemaError) -> DiffNode {
                    switch name {
                    case "string":
                        remaining.subtract(Self.stringKeywords)
                        return stringNode(object)
                    case "integer", "number":
                        remaining.subtract(Self.numberKeywords)
                        let n = numberNode(object)
                        n.requiresInteger = name == "integer"
                        return n
                    case "boolean": return DiffNode(.boolean)
                    case "null": return DiffNode(.null)
                    case "array":
                        remaining.subtract(Self.arrayKeywords)
                        return try arrayNode(object, document: document, root: root)
                    case "object":
                        remaining.subtract(Self.objectKeywords)
                        return try objectNode(object, document: document, root: root)
                    default: throw JSONSchemaError("unknown type '\(name)'", at: document)
                    }
                }
                if case .array(let names) = type {
                    let c = DiffNode(.combined)
                    c.criterion = .anyOf
                    for name in names.compactMap(\.stringValue) { c.subschemas.append(try typed(name)) }
                    nodes.append(c)
                } else if let name = type.stringValue {
                    nodes.append(try typed(name))
                }
            }
            if !remaining.isDisjoint(with: Self.arrayKeywords) {
                nodes.append(try arrayNode(object, document: document, root: root))
                remaining.subtract(Self.arrayKeywords)
            }
            if !remaining.isDisjoint(with: Self.objectKeywords) {
                nodes.append(try objectNode(object, document: document, root: root))
                remaining.subtract(Self.objectKeywords)
            }
            if !remaining.isDisjoint(with: Self.numberKeywords) {
                nodes.append(numberNode(object))
                remaining.subtract(Self.numberKeywords)
            }
            if !remaining.isDisjoint(with: Self.stringKeywords) {
                nodes.append(stringNode(object))
                remaining.subtract(Self.stringKeywords)
            }
            if !remaining.isDisjoint(with: ["if", "then", "else"]) {
                nodes.append(DiffNode(.conditional))
                remaining.subtract(["if", "then", "else"])
            }
            if nodes.isEmpty {
                node = DiffNode(.empty)
            } else if nodes.count == 1 {
                node = nodes[0]
            } else {
                node = DiffNode(.combined)
                node.criterion = .allOf
                node.generated = true
                node.subschemas = nodes
            }
            for key in ["$id", "title", "description", "default"] { remaining.remove(key) }
            for key in remaining { node.unprocessed[key] = object[key] }
            if let n = object["minContains"], node.kind == .array { node.minContains = n }
            if let n = object["maxContains"], node.kind == .array { node.maxContains = n }
            metadata(node, object, id: true, nullDefault: true)
            return node
        default:
            throw JSONSchemaError("a schema must be an object or a boolean", at: document)
        }
    }

    private func stringNode(_ object: JSONObject) -> DiffNode {
        let s = DiffNode(.string)
        s.minLength = object["minLength"]
        s.maxLength = object["maxLength"]
        s.pattern = object["pattern"]?.stringValue
        return s
    }

    private func numberNode(_ object: JSONObject) -> DiffNode {
        let n = DiffNode(.number)
        n.minimum = object["minimum"]
        n.maximum = object["maximum"]
        n.exclusiveMinimum = object["exclusiveMinimum"].flatMap { JSONNumber.isNumber($0) ? $0 : nil }
        n.exclusiveMaximum = object["exclusiveMaximum"].flatMap { JSONNumber.isNumber($0) ? $0 : nil }
        n.multipleOf = object["multipleOf"]
        return n
    }

    private mutating func arrayNode(_ object: JSONObject, document: String, root: JSONValue) throws(JSONSchemaError) -> DiffNode {
        let a = DiffNode(.array)
        a.minItems = object["minItems"]
        a.maxItems = object["maxItems"]
        a.uniqueItems = object["uniqueItems"] == .bool(true)
        switch object["additionalItems"] {
        case .bool(let b)?: a.permitsAdditionalItems = b
        case let value?: a.additionalItemsSchema = try loadClassic(value, document: document, root: root)
        case nil: break
        }
        switch object["items"] {
        case .array(let items)?:
            var list: [DiffNode] = []
            for item in items { list.append(try loadClassic(item, document: document, root: root)) }
            a.itemList = list
        case let value?: a.allItems = try loadClassic(value, document: document, root: root)
        case nil: break
        }
        return a
    }

    private mutating func objectNode(_ object: JSONObject, document: String, root: JSONValue) throws(JSONSchemaError) -> DiffNode {
        let o = DiffNode(.object)
        o.minProperties = object["minProperties"]
        o.maxProperties = object["maxProperties"]
        if case .object(let properties)? = object["properties"] {
            for (name, value) in properties { o.properties.append((name, try loadClassic(value, document: document, root: root))) }
        }
        switch object["additionalProperties"] {
        case .bool(let b)?: o.permitsAdditional = b
        case let value?: o.additionalSchema = try loadClassic(value, document: document, root: root)
        case nil: break
        }
        if case .array(let names)? = object["required"] { o.required = names.compactMap(\.stringValue) }
        if case .object(let patterns)? = object["patternProperties"] {
            for (pattern, value) in patterns {
                o.patternProperties.append((pattern, try loadClassic(value, document: document, root: root)))
            }
        }
        if case .object(let dependencies)? = object["dependencies"] {
            for (name, value) in dependencies {
                if case .array(let names) = value {
                    o.propertyDependencies.append((name, Set(names.compactMap(\.stringValue))))
                } else {
                    o.schemaDependencies.append((name, try loadClassic(value, document: document, root: root)))
                }
            }
        }
        return o
    }

    // MARK: - 2019-09 and 2020-12

    private mutating func loadModern(_ json: JSONValue, document: String, root: JSONValue, isRoot: Bool) throws(JSONSchemaError) -> DiffNode
    {
        try step()
        depth += 1
        defer { depth -= 1 }
        guard case .object(let object) = json else {
            guard case .bool(let b) = json else { throw JSONSchemaError("a schema must be an object or a boolean", at: document) }
            return DiffNode(b ? .trueSchema : .falseSchema)
        }
        var current: DiffNode?
        func join(_ node: DiffNode) { current = Self.join(current, node) }
        func load(_ value: JSONValue) throws(JSONSchemaError) -> DiffNode {
            try loadModern(value, document: document, root: root, isRoot: false)
        }
        for (key, value) in object {
            switch key {
            case "type":
                if case .array(let names) = value {
                    let c = DiffNode(.combined)
                    c.criterion = .anyOf
                    c.generated = true
                    for name in names.compactMap(\.stringValue) { c.subschemas.append(Self.typeNode(name)) }
                    join(c)
                } else if let name = value.stringValue {
                    join(Self.typeNode(name))
                }
            case "properties":
                guard case .object(let properties) = value else { continue }
                for (name, schema) in properties {
                    let o = DiffNode(.object)
                    o.properties = [(name, try load(schema))]
                    join(o)
                }
            case "required":
                let o = DiffNode(.object)
                if case .array(let names) = value { o.required = names.compactMap(\.stringValue) }
                join(o)
            case "additionalProperties":
                let schema = try load(value)
                let o = DiffNode(.object)
                if schema.kind == .falseSchema {
                    o.permitsAdditional = false
                } else if schema.kind != .trueSchema {
                    o.additionalSchema = schema
                }
                join(o)
            case "patternProperties":
                guard case .object(let patterns) = value else { continue }
                for (pattern, schema) in patterns {
                    let o = DiffNode(.object)
                    o.patternProperties = [(pattern, try load(schema))]
                    join(o)
                }
            case "minProperties", "maxProperties":
                let o = DiffNode(.object)
                if key == "minProperties" { o.minProperties = value } else { o.maxProperties = value }
                join(o)
            case "dependentRequired":
                guard case .object(let dependencies) = value else { continue }
                let o = DiffNode(.object)
                for (name, names) in dependencies {
                    if case .array(let list) = names { o.propertyDependencies.append((name, Set(list.compactMap(\.stringValue)))) }
                }
                join(o)
            case "dependentSchemas":
                guard case .object(let dependencies) = value else { continue }
                let o = DiffNode(.object)
                for (name, schema) in dependencies { o.schemaDependencies.append((name, try load(schema))) }
                join(o)
            case "unevaluatedProperties":
                let o = DiffNode(.object)
                o.unevaluatedProperties = try load(value)
                join(o)
            case "prefixItems":
                guard case .array(let items) = value else { continue }
                let a = DiffNode(.array)
                var list: [DiffNode] = []
                for item in items { list.append(try load(item)) }
                a.itemList = list
                join(a)
            case "items":
                let schema = try load(value)
                let a = DiffNode(.array)
                if schema.kind == .falseSchema {
                    a.permitsAdditionalItems = false
                } else if schema.kind != .trueSchema {
                    if object["prefixItems"] != nil { a.additionalItemsSchema = schema } else { a.allItems = schema }
                }
                join(a)
            case "unevaluatedItems":
                let a = DiffNode(.array)
                a.unevaluatedItems = try load(value)
                join(a)
            case "contains":
                let a = DiffNode(.array)
                a.minContains = object["minContains"] ?? .int(1)
                a.maxContains = object["maxContains"]
                join(a)
            case "minItems", "maxItems":
                let a = DiffNode(.array)
                if key == "minItems" { a.minItems = value } else { a.maxItems = value }
                join(a)
            case "uniqueItems":
                let a = DiffNode(.array)
                a.uniqueItems = value == .bool(true)
                join(a)
            case "minLength", "maxLength", "pattern":
                let s = DiffNode(.string)
                switch key {
                case "minLength": s.minLength = value
                case "maxLength": s.maxLength = value
                default: s.pattern = value.stringValue
                }
                join(s)
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
                let n = DiffNode(.number)
                switch key {
                case "minimum": n.minimum = value
                case "maximum": n.maximum = value
                case "exclusiveMinimum": n.exclusiveMinimum = value
                case "exclusiveMaximum": n.exclusiveMaximum = value
                default: n.multipleOf = value
                }
                join(n)
            case "enum":
                let e = DiffNode(.enumeration)
                if case .array(let values) = value { e.values = values }
                join(e)
            case "const":
                let c = DiffNode(.constant)
                c.values = [value]
                join(c)
            case "not":
                let n = DiffNode(.not)
                n.subschemas = [try load(value)]
                join(n)
            case "allOf", "anyOf", "oneOf":
                guard case .array(let items) = value else { continue }
                let c = DiffNode(.combined)
                c.criterion = DiffNode.Criterion(rawValue: key)!
                for item in items { c.subschemas.append(try load(item)) }
                join(c)
            case "if", "then", "else":
                if current?.kind != .conditional { join(DiffNode(.conditional)) }
            case "$ref", "$dynamicRef":
                guard let ref = value.stringValue else { continue }
                join(try reference(ref, document: document, root: root, modern: true))
            default:
                continue
            }
        }
        var node = current ?? DiffNode(.empty)
        if node.kind == .combined, node.generated, node.criterion == .allOf, node.subschemas.count == 1 { node = node.subschemas[0] }
        // A reference is shared by every `$ref` to its target, and the comparison sees only the target.
        if node.kind != .reference { metadata(node, object, id: !isRoot, nullDefault: false) }
        return node
    }

    private static func typeNode(_ name: String) -> DiffNode {
        switch name {
        case "string": return DiffNode(.string)
        case "integer":
            let n = DiffNode(.number)
            n.requiresInteger = true
            return n
        case "number": return DiffNode(.number)
        case "boolean": return DiffNode(.boolean)
        case "null": return DiffNode(.null)
        case "array": return DiffNode(.array)
        case "object": return DiffNode(.object)
        default: return DiffNode(.empty)
        }
    }

    private static let mergeable: Set<DiffNode.Kind> = [.object, .array, .string, .number]

    /// One object's keyword nodes folded together: same kinds merged, the rest in a generated allOf.
    private static func join(_ current: DiffNode?, _ new: DiffNode) -> DiffNode {
        guard let current else { return new }
        if current.kind == new.kind, mergeable.contains(new.kind) { return merge(current, new) }
        if current.kind == .combined, current.generated, current.criterion == .anyOf,
            let i = current.subschemas.firstIndex(where: { $0.kind == new.kind && mergeable.contains($0.kind) })
        {
            current.subschemas[i] = merge(current.subschemas[i], new)
            return current
        }
        let members =
            (current.kind == .combined && current.generated && current.criterion == .allOf ? current.subschemas : [current]) + [new]
        var folded: [DiffNode] = []
        for member in members {
            if let i = folded.firstIndex(where: { $0.kind == member.kind && mergeable.contains(member.kind) }) {
                folded[i] = merge(folded[i], member)
            } else {
                folded.append(member)
            }
        }
        let all = DiffNode(.combined)
        all.criterion = .allOf
        all.generated = true
        all.subschemas = folded
        return all
    }

    private static func merge(_ a: DiffNode, _ b: DiffNode) -> DiffNode {
        let m = DiffNode(a.kind)
        for x in [a, b] {
            m.requiresInteger = m.requiresInteger || x.requiresInteger
            m.minLength = x.minLength ?? m.minLength
            m.maxLength = x.maxLength ?? m.maxLength
            m.pattern = x.pattern ?? m.pattern
            m.minimum = x.minimum ?? m.minimum
            m.maximum = x.maximum ?? m.maximum
            m.exclusiveMinimum = x.exclusiveMinimum ?? m.exclusiveMinimum
            m.exclusiveMaximum = x.exclusiveMaximum ?? m.exclusiveMaximum
            m.multipleOf = x.multipleOf ?? m.multipleOf
            for (name, node) in x.properties {
                if let i = m.properties.firstIndex(where: { $0.0 == name }) {
                    m.properties[i].1 = node
                } else {
                    m.properties.append((name, node))
                }
            }
            for name in x.required where !m.required.contains(name) { m.required.append(name) }
            m.patternProperties += x.patternProperties
            if !x.permitsAdditional { m.permitsAdditional = false }
            m.additionalSchema = x.additionalSchema ?? m.additionalSchema
            m.minProperties = x.minProperties ?? m.minProperties
            m.maxProperties = x.maxProperties ?? m.maxProperties
            m.propertyDependencies += x.propertyDependencies
            m.schemaDependencies += x.schemaDependencies
            m.unevaluatedProperties = x.unevaluatedProperties ?? m.unevaluatedProperties
            m.allItems = x.allItems ?? m.allItems
            m.itemList = x.itemList ?? m.itemList
            if !x.permitsAdditionalItems { m.permitsAdditionalItems = false }
            m.additionalItemsSchema = x.additionalItemsSchema ?? m.additionalItemsSchema
            m.minItems = x.minItems ?? m.minItems
            m.maxItems = x.maxItems ?? m.maxItems
            m.uniqueItems = m.uniqueItems || x.uniqueItems
            m.unevaluatedItems = x.unevaluatedItems ?? m.unevaluatedItems
            m.minContains = x.minContains ?? m.minContains
            m.maxContains = x.maxContains ?? m.maxContains
        }
        return m
    }
}
