import CanonCore

/// A JSON Schema (drafts 4, 6, 7, 2019-09 and 2020-12, chosen by `$schema`) compiled into a validation
/// plan once; validating an instance walks the plan.
///
/// ```swift
/// let validator = try JSONSchemaValidator(schema: try JSONReader.parse(text))
/// if let failure = validator.validate(instance) { print(failure) }  // "/price: -1 is below the minimum 0 (minimum at #/properties/price)"
/// ```
public struct JSONSchemaValidator: Sendable {
    /// How a schema is compiled and instances checked.
    public struct Options: Sendable {
        /// The draft of a schema without `$schema` (Confluent's default: draft-07).
        public var defaultDraft: JSONSchemaDraft = .draft7
        /// Whether `format` is an assertion (otherwise an annotation, as the drafts default).
        public var assertsFormats = false
        /// Documents a `$ref` may name, by URI (the official meta-schemas are bundled).
        public var documents: [String: JSONValue] = [:]
        /// Most subschemas one schema may compile to. Default 100,000.
        public var maximumNodes = 100_000
        /// Deepest nesting of subschemas applied to one instance (reference cycles included). Default 512,
        /// which takes about 1 MB of the validating thread's stack in a debug build (2 KB a level).
        public var maximumDepth = 512
        /// Most subschema applications one validation may take: a bound on hostile schemas whose
        /// combinators multiply. Default 10,000,000.
        public var maximumSteps = 10_000_000
        /// Most backtracking work the `pattern` and `patternProperties` matches of one validation may
        /// take together, in the regex engine's progress reports (each about a tenth of a millisecond of
        /// backtracking): past it the value is refused. Default 100.
        public var maximumPatternWork = 100

        public init() {}
    }

    let plan: ValidationPlan
    let root: Int
    let options: Options
    /// The draft the root schema is read as.
    public let draft: JSONSchemaDraft

    /// Compiles `schema`, whose retrieval URI (the base of its relative references) is `baseURI`.
    public init(schema: JSONValue, baseURI: String = "", options: Options = Options()) throws(JSONSchemaError) {
        var compiler = SchemaCompiler(
            documents: options.documents, defaultDraft: options.defaultDraft, assertsFormats: options.assertsFormats,
            maximumNodes: options.maximumNodes)
        (plan, root, draft) = try compiler.compile(schema, baseURI: baseURI)
        self.options = options
    }

    /// A validator of schemas of `draft`: its meta-schema, bundled.
    public static func metaSchema(_ draft: JSONSchemaDraft) -> JSONSchemaValidator {
        var options = Options()
        options.defaultDraft = draft
        let uri = URIReference(draft.metaSchemaURI).base
        do {
            return try JSONSchemaValidator(schema: try JSONReader.parse(MetaSchemas.byURI[uri]!), baseURI: uri, options: options)
        } catch {
            preconditionFailure("the bundled \(draft) meta-schema does not compile: \(error)")
        }
    }

    /// The first failure found; nil when `instance` is valid.
    public func validate(_ instance: JSONValue) -> JSONSchemaFailure? {
        var evaluation = Evaluation(plan: plan, options: options)
        var annotations = Annotations()
        if evaluation.evaluate(root, instance, &annotations) { return nil }
        return evaluation.failure
            ?? JSONSchemaFailure(
                instancePath: "", keyword: "", schemaLocation: plan.nodes[root].location, message: "the instance is not valid")
    }

    public func isValid(_ instance: JSONValue) -> Bool { validate(instance) == nil }
}

/// What the keywords applied to one instance evaluated (for `unevaluatedProperties`/`unevaluatedItems`).
struct Annotations {
    var properties: Set<String> = []
    var allProperties = false
    /// Items `0..<items` were evaluated.
    var items = 0
    var allItems = false
    var itemIndices: Set<Int> = []

    mutating func merge(_ other: Annotations) {
        if !other.properties.isEmpty { properties.formUnion(other.properties) }
        allProperties = allProperties || other.allProperties
        items = max(items, other.items)
        allItems = allItems || other.allItems
        if !other.itemIndices.isEmpty { itemIndices.formUnion(other.itemIndices) }
    }
}

/// One validation's state: the dynamic scope, where in the instance it is, and the last failure.
struct Evaluation {
    let plan: ValidationPlan
    let options: ValidationPlan.Options
    private var scope: [Int] = []
    private var path: [PathToken] = []
    private var depth = 0
    private var steps = 0
    private var exhausted = false
    /// Inside a branch whose failure is expected (anyOf, oneOf, not, if, contains): no message is
    /// built; the combinator says what failed if it does.
    private var speculative = 0
    /// What is left of the regex engine's work budget for this validation (every match takes from it).
    private var patternWork: Int
    var failure: JSONSchemaFailure?

    enum PathToken {
        case key(String)
        case index(Int)
    }

    init(plan: ValidationPlan, options: JSONSchemaValidator.Options) {
        self.plan = plan
        self.options = ValidationPlan.Options(
            maximumDepth: options.maximumDepth, maximumSteps: options.maximumSteps, maximumPatternWork: options.maximumPatternWork)
        self.patternWork = options.maximumPatternWork
    }

    private var instancePath: String {
        path.map {
            switch $0 {
            case .key(let k): return "/" + JSONPointer.escape(k)
            case .index(let i): return "/\(i)"
            }
        }.joined()
    }

    private mutating func fail(_ node: Int, _ keyword: String, _ message: @autoclosure () -> String) -> Bool {
        if speculative > 0 && !exhausted { return false }
        failure = JSONSchemaFailure(
            instancePath: instancePath, keyword: keyword, schemaLocation: plan.nodes[node].location + "/" + keyword, message: message())
        return false
    }

    private mutating func patternTooCostly(_ n: Int, _ keyword: String, _ pattern: Pattern) -> Bool {
        exhausted = true
        return fail(n, keyword, "matching the pattern \(pattern.source) takes more backtracking than the limit allows; refused")
    }

    /// Applies node `n` to `instance`; what it evaluated goes into `annotations` (when it passes).
    mutating func evaluate(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        if let always = plan.nodes[n].always {
            return always ? true : fail(n, "false", "the schema is false: nothing is valid here")
        }
        steps += 1
        depth += 1
        defer { depth -= 1 }
        if exhausted { return false }
        if depth > options.maximumDepth || steps > options.maximumSteps {
            exhausted = true
            let message =
                depth > options.maximumDepth
                ? "subschemas apply more than \(options.maximumDepth) deep to one value (a reference cycle?)"
                : "validation needs more than \(options.maximumSteps) steps; refused"
            return fail(n, "$ref", message)
        }
        let resource = plan.nodes[n].resource
        let entered = scope.last != resource
        if entered { scope.append(resource) }
        defer { if entered { scope.removeLast() } }
        var local = Annotations()
        for i in plan.ranges[n] {
            guard check(plan.keywords[i], n, instance, &local) else { return false }
        }
        if plan.tracksAnnotations { annotations.merge(local) }
        return true
    }

    /// Applies node `n` as a branch whose failure is expected (no failure message is made).
    private mutating func speculate(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        speculative += 1
        defer { speculative -= 1 }
        return evaluate(n, instance, &annotations)
    }

    /// Applies node `n` to a member or item of the instance (its annotations stay there).
    private mutating func evaluate(_ n: Int, _ instance: JSONValue, at token: PathToken) -> Bool {
        path.append(token)
        defer { path.removeLast() }
        var discarded = Annotations()
        return evaluate(n, instance, &discarded)
    }

    /// One keyword: the assertions on this value in one function, each keyword that applies subschemas in
    /// its own (so the frames of the recursion stay small: a reference cycle reaches the depth limit,
    /// not the end of a thread's stack).
    private mutating func check(_ keyword: ValidationPlan.Keyword, _ n: Int, _ instance: JSONValue, _ annotations: inout Annotations)
        -> Bool
    {
        switch keyword {
        case .properties(let named, let patterns, let additional):
            return applyProperties(n, instance, &annotations, named, patterns, additional)
        case .propertyNames(let child):
            return applyPropertyNames(n, instance, &annotations, child)
        case .dependentSchemas(let dependencies):
            return applyDependentSchemas(n, instance, &annotations, dependencies)
        case .items(let prefix, let rest):
            return applyItems(n, instance, &annotations, prefix, rest)
        case .contains(let child, let minimum, let maximum, let annotates):
            return applyContains(n, instance, &annotations, child, minimum, maximum, annotates)
        case .allOf(let children):
            return applyAllOf(n, instance, &annotations, children)
        case .anyOf(let children):
            return applyAnyOf(n, instance, &annotations, children)
        case .oneOf(let children):
            return applyOneOf(n, instance, &annotations, children)
        case .not(let child):
            return applyNot(n, instance, &annotations, child)
        case .conditional(let condition, let then, let otherwise):
            return applyConditional(n, instance, &annotations, condition, then, otherwise)
        case .ref(let target):
            return applyRef(n, instance, &annotations, target)
        case .dynamicRef(let target, let anchor):
            return applyDynamicRef(n, instance, &annotations, target, anchor)
        case .recursiveRef(let target, let dynamic):
            return applyRecursiveRef(n, instance, &annotations, target, dynamic)
        case .unevaluatedProperties(let child):
            return applyUnevaluatedProperties(n, instance, &annotations, child)
        case .unevaluatedItems(let child):
            return applyUnevaluatedItems(n, instance, &annotations, child)
        default:
            return assert(keyword, n, instance)
        }
    }

    /// The keywords that check this value alone.
    private mutating func assert(_ keyword: ValidationPlan.Keyword, _ n: Int, _ instance: JSONValue) -> Bool {
        switch keyword {
        case .type(let types, let names):
            let ok: Bool
            switch instance {
            case .null: ok = types.contains(.null)
            case .bool: ok = types.contains(.boolean)
            case .string: ok = types.contains(.string)
            case .array: ok = types.contains(.array)
            case .object: ok = types.contains(.object)
            case .int, .uint, .double:
                ok = types.contains(.number) || (types.contains(.integer) && JSONNumber.isInteger(instance))
            }
            return ok || fail(n, "type", "\(Self.describe(instance)) is not of type \(names)")
        case .enumeration(let values):
            return values.contains(where: { schemaEqual($0, instance) })
                || fail(n, "enum", "\(Self.describe(instance)) is not one of the enum's values")
        case .constant(let value):
            return schemaEqual(value, instance) || fail(n, "const", "\(Self.describe(instance)) is not the constant \(value.jsonText)")
        case .multipleOf(let divisor, let text):
            guard JSONNumber.isNumber(instance) else { return true }
            return JSONNumber.isMultiple(instance, of: divisor)
                || fail(n, "multipleOf", "\(instance.jsonText) is not a multiple of \(text)")
        case .maximum(let limit, let exclusive):
            guard JSONNumber.isNumber(instance) else { return true }
            let c = JSONNumber.compare(instance, limit)
            return (exclusive ? c < 0 : c <= 0)
                || fail(
                    n, exclusive ? "exclusiveMaximum" : "maximum",
                    "\(instance.jsonText) is above the \(exclusive ? "exclusive " : "")maximum \(limit.jsonText)")
        case .minimum(let limit, let exclusive):
            guard JSONNumber.isNumber(instance) else { return true }
            let c = JSONNumber.compare(instance, limit)
            return (exclusive ? c > 0 : c >= 0)
                || fail(
                    n, exclusive ? "exclusiveMinimum" : "minimum",
                    "\(instance.jsonText) is below the \(exclusive ? "exclusive " : "")minimum \(limit.jsonText)")
        case .maxLength(let limit):
            guard case .string(let s) = instance else { return true }
            return s.utf8.count <= limit || s.unicodeScalars.count <= limit
                || fail(n, "maxLength", "the string is longer than \(limit) characters")
        case .minLength(let limit):
            guard case .string(let s) = instance else { return true }
            return s.unicodeScalars.count >= limit || fail(n, "minLength", "the string is shorter than \(limit) characters")
        case .pattern(let pattern):
            guard case .string(let s) = instance else { return true }
            switch pattern.matches(s, budget: &patternWork) {
            case true?: return true
            case false?: return fail(n, "pattern", "\(Self.describe(instance)) does not match the pattern \(pattern.source)")
            case nil: return patternTooCostly(n, "pattern", pattern)
            }
        case .format(let name):
            guard let problem = FormatAssertion.problem(name, instance) else { return true }
            return fail(n, "format", problem)
        case .required(let names):
            guard case .object(let object) = instance else { return true }
            for name in names where object[name] == nil {
                return fail(n, "required", "the required property '\(name)' is missing")
            }
            return true
        case .maxProperties(let limit):
            guard case .object(let object) = instance else { return true }
            return lastValues(object).count <= limit || fail(n, "maxProperties", "the object has more than \(limit) properties")
        case .minProperties(let limit):
            guard case .object(let object) = instance else { return true }
            return lastValues(object).count >= limit || fail(n, "minProperties", "the object has fewer than \(limit) properties")
        case .dependentRequired(let dependencies):
            guard case .object(let object) = instance else { return true }
            for (name, required) in dependencies where object[name] != nil {
                for other in required where object[other] == nil {
                    return fail(n, "dependentRequired", "'\(name)' is present, so '\(other)' is required")
                }
            }
            return true
        case .maxItems(let limit):
            guard case .array(let items) = instance else { return true }
            return items.count <= limit || fail(n, "maxItems", "the array has more than \(limit) items")
        case .minItems(let limit):
            guard case .array(let items) = instance else { return true }
            return items.count >= limit || fail(n, "minItems", "the array has fewer than \(limit) items")
        case .uniqueItems:
            guard case .array(let items) = instance, items.count > 1 else { return true }
            if items.count <= 16 {
                for i in items.indices {
                    for j in items.index(after: i)..<items.endIndex where schemaEqual(items[i], items[j]) {
                        return fail(n, "uniqueItems", "items \(i) and \(j) are equal")
                    }
                }
                return true
            }
            var seen = Set<SchemaEquatable>()
            for (i, item) in items.enumerated() where !seen.insert(SchemaEquatable(value: item)).inserted {
                return fail(n, "uniqueItems", "item \(i) repeats an earlier item")
            }
            return true
        default:
            return true
        }
    }

    private mutating func applyProperties(
        _ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ named: [String: Int], _ patterns: [(Pattern, Int)],
        _ additional: Int?
    ) -> Bool {
        guard case .object(let object) = instance else { return true }
        for member in object {
            var matched = false
            if let child = named[member.key] {
                matched = true
                guard evaluate(child, member.value, at: .key(member.key)) else { return false }
            }
            for (pattern, child) in patterns {
                guard let hit = pattern.matches(member.key, budget: &patternWork) else {
                    return patternTooCostly(n, "patternProperties", pattern)
                }
                guard hit else { continue }
                matched = true
                guard evaluate(child, member.value, at: .key(member.key)) else { return false }
            }
            if !matched, let additional {
                guard evaluate(additional, member.value, at: .key(member.key)) else {
                    if plan.nodes[additional].always == false {
                        path.append(.key(member.key))
                        defer { path.removeLast() }
                        return fail(n, "additionalProperties", "the property '\(member.key)' is not allowed")
                    }
                    return false
                }
                matched = true
            }
            if plan.tracksAnnotations && matched { annotations.properties.insert(member.key) }
        }
        return true
    }

    private mutating func applyPropertyNames(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ child: Int) -> Bool {
        guard case .object(let object) = instance else { return true }
        for member in object where !evaluate(child, .string(member.key), at: .key(member.key)) {
            return fail(n, "propertyNames", "the property name '\(member.key)' is not valid")
        }
        return true
    }

    private mutating func applyDependentSchemas(
        _ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ dependencies: [(String, Int)]
    ) -> Bool {
        guard case .object(let object) = instance else { return true }
        for (name, child) in dependencies where object[name] != nil {
            guard evaluate(child, instance, &annotations) else { return false }
        }
        return true
    }

    private mutating func applyItems(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ prefix: [Int], _ rest: Int?)
        -> Bool
    {
        guard case .array(let items) = instance else { return true }
        for (i, item) in items.enumerated() {
            guard let child = i < prefix.count ? prefix[i] : rest else { break }
            guard evaluate(child, item, at: .index(i)) else { return false }
        }
        if plan.tracksAnnotations {
            annotations.items = max(annotations.items, min(prefix.count, items.count))
            if rest != nil { annotations.allItems = true }
        }
        return true
    }

    private mutating func applyContains(
        _ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ child: Int, _ minimum: Int, _ maximum: Int?, _ annotates: Bool
    ) -> Bool {
        guard case .array(let items) = instance else { return true }
        var matches = 0
        speculative += 1
        defer { speculative -= 1 }
        for (i, item) in items.enumerated() where evaluate(child, item, at: .index(i)) {
            matches += 1
            if annotates && plan.tracksAnnotations { annotations.itemIndices.insert(i) }
        }
        if exhausted { return false }
        speculative -= 1
        defer { speculative += 1 }
        if matches < minimum {
            return fail(n, minimum == 1 ? "contains" : "minContains", "fewer than \(minimum) item(s) match the contains schema")
        }
        if let maximum, matches > maximum { return fail(n, "maxContains", "more than \(maximum) item(s) match the contains schema") }
        return true
    }

    private mutating func applyAllOf(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ children: [Int]) -> Bool {
        for child in children {
            guard evaluate(child, instance, &annotations) else { return false }
        }
        return true
    }

    private mutating func applyAnyOf(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ children: [Int]) -> Bool {
        var any = false
        for child in children {
            var branch = Annotations()
            if speculate(child, instance, &branch) {
                any = true
                if plan.tracksAnnotations { annotations.merge(branch) } else { break }
            }
            if exhausted { return false }
        }
        return any || fail(n, "anyOf", "the instance matches none of anyOf's \(children.count) schemas")
    }

    private mutating func applyOneOf(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ children: [Int]) -> Bool {
        var passed: [Int] = []
        var matched = Annotations()
        for (i, child) in children.enumerated() {
            var branch = Annotations()
            if speculate(child, instance, &branch) {
                passed.append(i)
                matched = branch
                if passed.count > 1 { break }
            }
            if exhausted { return false }
        }
        if passed.count == 1 {
            if plan.tracksAnnotations { annotations.merge(matched) }
            return true
        }
        return passed.isEmpty
            ? fail(n, "oneOf", "the instance matches none of oneOf's \(children.count) schemas")
            : fail(n, "oneOf", "the instance matches oneOf's schemas \(passed[0]) and \(passed[1]); exactly one must match")
    }

    private mutating func applyNot(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ child: Int) -> Bool {
        var ignored = Annotations()
        if speculate(child, instance, &ignored) { return fail(n, "not", "the instance matches the schema it must not match") }
        return !exhausted
    }

    private mutating func applyConditional(
        _ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ condition: Int, _ then: Int?, _ otherwise: Int?
    ) -> Bool {
        var branch = Annotations()
        if speculate(condition, instance, &branch) {
            if plan.tracksAnnotations { annotations.merge(branch) }
            guard let then else { return true }
            return evaluate(then, instance, &annotations)
        }
        if exhausted { return false }
        guard let otherwise else { return true }
        return evaluate(otherwise, instance, &annotations)
    }

    private mutating func applyRef(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ target: Int) -> Bool {
        return evaluate(target, instance, &annotations)
    }

    private mutating func applyDynamicRef(
        _ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ target: Int, _ anchor: String?
    ) -> Bool {
        var chosen = target
        if let anchor {
            for resource in scope {
                if let found = plan.resources[resource].dynamicAnchors[anchor] {
                    chosen = found
                    break
                }
            }
        }
        return evaluate(chosen, instance, &annotations)
    }

    private mutating func applyRecursiveRef(
        _ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ target: Int, _ dynamic: Bool
    ) -> Bool {
        var chosen = target
        if dynamic {
            // The outermost resource of the dynamic scope whose root says `$recursiveAnchor: true`
            // (as long as every resource from there inwards says so too).
            for resource in scope.reversed() {
                guard plan.resources[resource].recursiveAnchor, let root = plan.resources[resource].root else { break }
                chosen = root
            }
        }
        return evaluate(chosen, instance, &annotations)
    }

    private mutating func applyUnevaluatedProperties(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ child: Int)
        -> Bool
    {
        guard case .object(let object) = instance, !annotations.allProperties else { return true }
        for member in object where !annotations.properties.contains(member.key) {
            guard evaluate(child, member.value, at: .key(member.key)) else {
                if plan.nodes[child].always == false {
                    path.append(.key(member.key))
                    defer { path.removeLast() }
                    return fail(n, "unevaluatedProperties", "the property '\(member.key)' is not evaluated by any keyword and not allowed")
                }
                return false
            }
        }
        annotations.allProperties = true
        return true
    }

    private mutating func applyUnevaluatedItems(_ n: Int, _ instance: JSONValue, _ annotations: inout Annotations, _ child: Int) -> Bool {
        guard case .array(let items) = instance, !annotations.allItems else { return true }
        for (i, item) in items.enumerated() where i >= annotations.items && !annotations.itemIndices.contains(i) {
            guard evaluate(child, item, at: .index(i)) else {
                return plan.nodes[child].always == false
                    ? fail(n, "unevaluatedItems", "item \(i) is not evaluated by any keyword and not allowed") : false
            }
        }
        annotations.allItems = true
        return true
    }

    /// A value in a message: short ones whole, long ones by kind and size.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .array(let items): return "an array of \(items.count) items"
        case .object(let object): return "an object of \(object.count) properties"
        default:
            let text = value.jsonText
            return text.count <= 64 ? text : "a \(value.typeName) of \(text.count) characters"
        }
    }
}

extension ValidationPlan {
    /// The limits of one validation.
    struct Options {
        var maximumDepth: Int
        var maximumSteps: Int
        var maximumPatternWork: Int
    }
}
