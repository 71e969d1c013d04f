import CanonCore

/// Compiles a schema document (and the documents it references) into a ``ValidationPlan``.
///
/// First every document reached is scanned for its schema resources (`$id`), anchors (`$anchor`,
/// `$dynamicAnchor`, draft 6/7 `$id: "#name"`) and the base URI and draft of each subschema; then
/// nodes are built from the root, each `$ref` resolved to a location and built on demand (a cycle of
/// references is a cycle of node indices, built once).
struct SchemaCompiler {
    typealias Location = SchemaIndex.Location
    typealias Scope = SchemaIndex.Scope

    private var plan = ValidationPlan()
    private var index: SchemaIndex
    private let maximumNodes: Int
    private var nodes: [Location: Int] = [:]
    /// Nodes reserved but not built yet: building works through this list, never recursing into a
    /// subschema or a `$ref` target, so neither deep nesting nor a chain of thousands of references can
    /// exhaust the stack.
    private var pending: [(index: Int, location: Location, value: JSONValue, scope: Scope)] = []
    private var resourceIndex: [String: Int] = [:]

    init(documents: [String: JSONValue], defaultDraft: JSONSchemaDraft, assertsFormats: Bool, maximumNodes: Int) {
        index = SchemaIndex(documents: documents, defaultDraft: defaultDraft)
        self.maximumNodes = maximumNodes
        plan.assertsFormats = assertsFormats
    }

    /// Compiles `schema`, retrieved from `baseURI`; returns the plan, its root node and the root's draft.
    mutating func compile(_ schema: JSONValue, baseURI: String) throws(JSONSchemaError) -> (ValidationPlan, Int, JSONSchemaDraft) {
        let document = URIReference(baseURI).base
        let draft = try index.add(document: document, schema)
        let root = try node(Location(document: document, pointer: ""))
        try buildPending()
        // Every dynamic anchor and recursive anchor of every resource reached is compiled, so the
        // dynamic scope can find them while validating (compiling may reach more documents).
        var done = false
        while !done {
            done = true
            for (uri, declared) in index.dynamicAnchors {
                let resource = resourceNumber(uri)
                for (name, location) in declared where plan.resources[resource].dynamicAnchors[name] == nil {
                    let n = try node(location)
                    plan.resources[resource].dynamicAnchors[name] = n
                    done = false
                }
            }
            for uri in index.recursiveAnchors {
                let resource = resourceNumber(uri)
                guard plan.resources[resource].root == nil, let location = index.resources[uri]?.location else { continue }
                plan.resources[resource].recursiveAnchor = true
                plan.resources[resource].root = try node(location)
                done = false
            }
            try buildPending()
        }
        plan.flatten()
        return (plan, root, draft)
    }

    private mutating func resourceNumber(_ uri: String) -> Int {
        if let known = resourceIndex[uri] { return known }
        plan.resources.append(ValidationPlan.Resource(uri: uri))
        resourceIndex[uri] = plan.resources.count - 1
        return plan.resources.count - 1
    }

    // MARK: - Building nodes

    private mutating func node(_ location: Location) throws(JSONSchemaError) -> Int {
        if let known = nodes[location] { return known }
        guard plan.nodes.count < maximumNodes else {
            throw JSONSchemaError("the schema has more than \(maximumNodes) subschemas", at: location.text)
        }
        guard let value = index.value(at: location) else { throw JSONSchemaError("no schema at this location", at: location.text) }
        let scope = try index.scope(of: location)
        let index = plan.nodes.count
        plan.nodes.append(ValidationPlan.Node(always: true, resource: resourceNumber(scope.base), location: location.text))
        nodes[location] = index
        pending.append((index, location, value, scope))
        return index
    }

    /// Builds every reserved node (building one reserves its children).
    private mutating func buildPending() throws(JSONSchemaError) {
        while let (index, location, value, scope) = pending.popLast() {
            try build(index, value, at: location, scope: scope)
        }
    }

    private mutating func build(_ index: Int, _ value: JSONValue, at location: Location, scope: Scope) throws(JSONSchemaError) {
        switch value {
        case .bool(let b):
            plan.nodes[index].always = b
        case .object(let object):
            let keywords = try build(object, at: location, scope: scope)
            plan.nodes[index].always = keywords.isEmpty ? true : nil
            plan.nodes[index].keywords = keywords
        default:
            throw JSONSchemaError("a schema must be an object or a boolean, not \(value.typeName)", at: location.text)
        }
    }

    private mutating func child(_ location: Location, _ keyword: String, _ suffix: String = "") throws(JSONSchemaError) -> Int {
        try node(Location(document: location.document, pointer: location.pointer + "/" + JSONPointer.escape(keyword) + suffix))
    }

    private mutating func build(_ object: JSONObject, at location: Location, scope: Scope) throws(JSONSchemaError) -> [ValidationPlan
        .Keyword]
    {
        let draft = scope.draft
        func fail(_ keyword: String, _ message: String) -> JSONSchemaError {
            JSONSchemaError("\(keyword) \(message)", at: location.text + "/" + JSONPointer.escape(keyword))
        }
        func count(_ keyword: String) throws(JSONSchemaError) -> Int? {
            guard let value = object[keyword] else { return nil }
            guard JSONNumber.isInteger(value), let d = value.doubleValue, d >= 0 else {
                throw fail(keyword, "must be a non-negative integer")
            }
            return d > Double(Int.max / 2) ? Int.max / 2 : Int(d)
        }
        func number(_ keyword: String) throws(JSONSchemaError) -> JSONValue? {
            guard let value = object[keyword] else { return nil }
            guard JSONNumber.isNumber(value) else { throw fail(keyword, "must be a number") }
            return value
        }
        func schemas(_ keyword: String) throws(JSONSchemaError) -> [Int]? {
            guard let value = object[keyword] else { return nil }
            guard case .array(let items) = value, !items.isEmpty || keyword == "prefixItems" || keyword == "items" else {
                throw fail(keyword, "must be a non-empty array of schemas")
            }
            var out: [Int] = []
            for i in items.indices { out.append(try child(location, keyword, "/\(i)")) }
            return out
        }
        func pattern(_ text: String, _ keyword: String) throws(JSONSchemaError) -> Pattern {
            guard let compiled = Pattern(text) else { throw fail(keyword, "is not a valid regular expression: \(text)") }
            return compiled
        }

        var keywords: [ValidationPlan.Keyword] = []
        if let ref = object["$ref"] {
            guard let text = ref.stringValue else { throw fail("$ref", "must be a string") }
            let target = try index.resolve(URIReference(base: scope.base, fragment: nil).resolving(text), from: location)
            keywords.append(.ref(try node(target)))
            if draft.refOverridesSiblings { return keywords }
        }
        if draft >= .draft2020_12, let ref = object["$dynamicRef"] {
            guard let text = ref.stringValue else { throw fail("$dynamicRef", "must be a string") }
            let reference = URIReference(base: scope.base, fragment: nil).resolving(text)
            let target = try index.resolve(reference, from: location)
            var anchor: String?
            if let name = reference.fragment, !name.isEmpty, !name.hasPrefix("/"), index.dynamicAnchors[reference.base]?[name] == target {
                anchor = name
            }
            keywords.append(.dynamicRef(try node(target), anchor: anchor))
        }
        if draft == .draft2019_09, let ref = object["$recursiveRef"] {
            guard let text = ref.stringValue else { throw fail("$recursiveRef", "must be a string") }
            let reference = URIReference(base: scope.base, fragment: nil).resolving(text)
            let target = try index.resolve(reference, from: location)
            let targetScope = try index.scope(of: target)
            let dynamic = index.recursiveAnchors.contains(targetScope.base) && index.resources[targetScope.base]?.location == target
            keywords.append(.recursiveRef(try node(target), dynamic: dynamic))
        }
        if let type = object["type"] {
            var types: ValidationPlan.Types = []
            let names: [String]
            switch type {
            case .string(let name): names = [name]
            case .array(let items): names = items.compactMap(\.stringValue)
            default: throw fail("type", "must be a type name or an array of them")
            }
            for name in names {
                guard let t = ValidationPlan.Types(name: name) else { throw fail("type", "names no JSON type: '\(name)'") }
                types.insert(t)
            }
            keywords.append(.type(types, names: names.joined(separator: ", ")))
        }
        if let value = object["enum"] {
            guard case .array(let items) = value else { throw fail("enum", "must be an array") }
            keywords.append(.enumeration(items))
        }
        if draft >= .draft6, let value = object["const"] { keywords.append(.constant(value)) }
        if let value = try number("multipleOf") {
            guard let decimal = JSONNumber.decimal(value), decimal.mantissa > 0, !decimal.negative else {
                throw fail("multipleOf", "must be a number above 0")
            }
            keywords.append(.multipleOf(decimal, text: value.jsonText))
        }
        if draft == .draft4 {
            if let value = try number("maximum") { keywords.append(.maximum(value, exclusive: object["exclusiveMaximum"] == .bool(true))) }
            if let value = try number("minimum") { keywords.append(.minimum(value, exclusive: object["exclusiveMinimum"] == .bool(true))) }
        } else {
            if let value = try number("maximum") { keywords.append(.maximum(value, exclusive: false)) }
            if let value = try number("exclusiveMaximum") { keywords.append(.maximum(value, exclusive: true)) }
            if let value = try number("minimum") { keywords.append(.minimum(value, exclusive: false)) }
            if let value = try number("exclusiveMinimum") { keywords.append(.minimum(value, exclusive: true)) }
        }
        if let n = try count("maxLength") { keywords.append(.maxLength(n)) }
        if let n = try count("minLength") { keywords.append(.minLength(n)) }
        if let value = object["pattern"] {
            guard let text = value.stringValue else { throw fail("pattern", "must be a string") }
            keywords.append(.pattern(try pattern(text, "pattern")))
        }
        if plan.assertsFormats, let name = object["format"]?.stringValue { keywords.append(.format(name)) }

        // Objects.
        var named: [String: Int] = [:]
        var patterns: [(Pattern, Int)] = []
        var additional: Int?
        if let value = object["properties"] {
            guard case .object(let members) = value else { throw fail("properties", "must be an object of schemas") }
            for (name, _) in members { named[name] = try child(location, "properties", "/" + JSONPointer.escape(name)) }
        }
        if let value = object["patternProperties"] {
            guard case .object(let members) = value else { throw fail("patternProperties", "must be an object of schemas") }
            for (text, _) in members {
                patterns.append(
                    (try pattern(text, "patternProperties"), try child(location, "patternProperties", "/" + JSONPointer.escape(text))))
            }
        }
        if object["additionalProperties"] != nil { additional = try child(location, "additionalProperties") }
        if object["properties"] != nil || object["patternProperties"] != nil || additional != nil {
            keywords.append(.properties(named: named, patterns: patterns, additional: additional))
        }
        if draft >= .draft6, object["propertyNames"] != nil { keywords.append(.propertyNames(try child(location, "propertyNames"))) }
        if let value = object["required"] {
            guard case .array(let items) = value, let names = Optional(items.compactMap(\.stringValue)), names.count == items.count else {
                throw fail("required", "must be an array of strings")
            }
            keywords.append(.required(names))
        }
        if let n = try count("maxProperties") { keywords.append(.maxProperties(n)) }
        if let n = try count("minProperties") { keywords.append(.minProperties(n)) }
        var dependentRequired: [(String, [String])] = []
        var dependentSchemas: [(String, Int)] = []
        if draft <= .draft7, let value = object["dependencies"] {
            guard case .object(let members) = value else { throw fail("dependencies", "must be an object") }
            for (name, dependency) in members {
                if case .array(let items) = dependency {
                    dependentRequired.append((name, items.compactMap(\.stringValue)))
                } else {
                    dependentSchemas.append((name, try child(location, "dependencies", "/" + JSONPointer.escape(name))))
                }
            }
        }
        if draft >= .draft2019_09 {
            if let value = object["dependentRequired"] {
                guard case .object(let members) = value else { throw fail("dependentRequired", "must be an object") }
                for (name, items) in members {
                    guard case .array(let list) = items else { throw fail("dependentRequired", "must map names to arrays of names") }
                    dependentRequired.append((name, list.compactMap(\.stringValue)))
                }
            }
            if let value = object["dependentSchemas"] {
                guard case .object(let members) = value else { throw fail("dependentSchemas", "must be an object of schemas") }
                for (name, _) in members {
                    dependentSchemas.append((name, try child(location, "dependentSchemas", "/" + JSONPointer.escape(name))))
                }
            }
        }
        if !dependentRequired.isEmpty { keywords.append(.dependentRequired(dependentRequired)) }
        if !dependentSchemas.isEmpty { keywords.append(.dependentSchemas(dependentSchemas)) }

        // Arrays.
        if draft <= .draft2019_09 {
            switch object["items"] {
            case .array?:
                let prefix = try schemas("items") ?? []
                let rest = object["additionalItems"] != nil ? try child(location, "additionalItems") : nil
                keywords.append(.items(prefix: prefix, rest: rest))
            case .some:
                keywords.append(.items(prefix: [], rest: try child(location, "items")))
            case nil: break
            }
        } else {
            let prefix = try schemas("prefixItems") ?? []
            let rest = object["items"] != nil ? try child(location, "items") : nil
            if !prefix.isEmpty || rest != nil { keywords.append(.items(prefix: prefix, rest: rest)) }
        }
        if draft >= .draft6, object["contains"] != nil {
            let minimum = draft >= .draft2019_09 ? try count("minContains") ?? 1 : 1
            let maximum = draft >= .draft2019_09 ? try count("maxContains") : nil
            keywords.append(.contains(try child(location, "contains"), min: minimum, max: maximum, annotates: draft >= .draft2020_12))
        }
        if let n = try count("maxItems") { keywords.append(.maxItems(n)) }
        if let n = try count("minItems") { keywords.append(.minItems(n)) }
        if object["uniqueItems"] == .bool(true) { keywords.append(.uniqueItems) }

        // Combinations.
        if let list = try schemas("allOf") { keywords.append(.allOf(list)) }
        if let list = try schemas("anyOf") { keywords.append(.anyOf(list)) }
        if let list = try schemas("oneOf") { keywords.append(.oneOf(list)) }
        if object["not"] != nil { keywords.append(.not(try child(location, "not"))) }
        if draft >= .draft7, object["if"] != nil {
            keywords.append(
                .conditional(
                    if: try child(location, "if"), then: object["then"] != nil ? try child(location, "then") : nil,
                    else: object["else"] != nil ? try child(location, "else") : nil))
        }
        if !scope.validates { keywords.removeAll { $0.isValidationVocabulary } }
        // Last: they read what every other keyword of the node evaluated.
        if draft >= .draft2019_09 {
            if object["unevaluatedProperties"] != nil {
                keywords.append(.unevaluatedProperties(try child(location, "unevaluatedProperties")))
                plan.tracksAnnotations = true
            }
            if object["unevaluatedItems"] != nil {
                keywords.append(.unevaluatedItems(try child(location, "unevaluatedItems")))
                plan.tracksAnnotations = true
            }
        }
        return keywords
    }
}
