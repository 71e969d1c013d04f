import CanonCore

/// Confluent Schema Registry's JSON Schema compatibility: the typed differences between an earlier
/// schema (`original`) and a new one (`update`), each a Confluent difference type at a JSON path, and
/// which of them a policy counts as compatible. Written from Confluent's documented behaviour and its
/// test fixtures (the README says where Canon chooses differently).
enum JSONSchemaDiff {
    /// One difference, as Confluent names it: `TYPE #/path`.
    struct Difference: Hashable {
        var type: String
        var path: String
        var text: String { "\(type) \(path)" }
    }

    /// Which differences are compatible (the subject's or global `compatibilityPolicy`).
    enum Policy {
        case strict, lenient

        var compatible: Set<String> { self == .strict ? JSONSchemaDiff.strict : JSONSchemaDiff.lenient }
    }

    /// The differences from `original` to `update`, in Confluent's order. `documents` are referenced
    /// schemas by the names `$ref` uses.
    /// Deepest nesting of a comparison (and of loading a schema for it): two recursive schemas of
    /// different periods compare to a depth of their periods' product; past this it is refused.
    static let maximumDepth = 256

    /// The differences from `original` to `update`, each with the documents its references name.
    static func compare(
        original: JSONValue, update: JSONValue, originalDocuments: [String: JSONValue] = [:], updateDocuments: [String: JSONValue] = [:],
        policy: Policy = .strict, budget: Int = SchemaCompatibilityChecker.defaultBudget
    ) throws -> [Difference] {
        // One loader per schema: a `$ref` means what it means in its own document.
        var originalLoader = DiffLoader(documents: originalDocuments), updateLoader = DiffLoader(documents: updateDocuments)
        let o = try originalLoader.load(original)
        let u = try updateLoader.load(update)
        var context = Context(compatible: policy.compatible, budget: budget)
        try withExtendedLifetime((originalLoader, updateLoader)) { try context.compare(o, u) }
        return context.differences
    }

    static func isCompatible(_ differences: [Difference], policy: Policy) -> Bool {
        differences.allSatisfy { policy.compatible.contains($0.type) }
    }

    /// The comparison: a path, the differences found, the pairs being compared (a recursive schema
    /// compares the same pair again further down: that adds nothing), and a work budget.
    struct Context {
        let compatible: Set<String>
        var path: [String] = []
        var differences: [Difference] = []
        var inProgress: Set<Pair> = []
        var steps: Steps

        struct Pair: Hashable {
            var original: ObjectIdentifier
            var update: ObjectIdentifier
        }

        /// Work shared by a context and its subcontexts.
        final class Steps {
            var count = 0
            var depth = 0
            let budget: Int
            init(budget: Int) { self.budget = budget }
        }

        init(compatible: Set<String>, budget: Int) {
            self.compatible = compatible
            self.steps = Steps(budget: budget)
        }

        /// A context for a trial comparison: same path, no differences yet.
        func subcontext() -> Context {
            var sub = self
            sub.differences = []
            return sub
        }

        var isCompatible: Bool { differences.allSatisfy { compatible.contains($0.type) } }

        mutating func add(_ type: String, _ attribute: String? = nil) {
            let segments = attribute.map { path + [$0] } ?? path
            differences.append(Difference(type: type, path: "#/" + segments.joined(separator: "/")))
        }

        mutating func within<T>(_ segment: String, _ body: (inout Context) throws -> T) rethrows -> T {
            path.append(segment)
            defer { path.removeLast() }
            return try body(&self)
        }

        // MARK: - compare

        mutating func compare(_ original: DiffNode?, _ update: DiffNode?) throws {
            guard let original else {
                if update != nil { add("SCHEMA_ADDED") }
                return
            }
            guard let update else { return add("SCHEMA_REMOVED") }
            steps.depth += 1
            defer { steps.depth -= 1 }
            guard steps.depth <= JSONSchemaDiff.maximumDepth else {
                throw JSONSchemaError(
                    "the schemas nest more than \(JSONSchemaDiff.maximumDepth) deep where they are compared; refused", at: "")
            }
            steps.count += 1
            guard steps.count <= steps.budget else {
                throw JSONSchemaError(
                    "checking compatibility needs more than \(steps.budget) steps; refused. The limit is the registry's compatibility budget",
                    at: "")
            }
            let o = original.resolved, u = update.resolved
            // A single type against a combination of types (and back): the branch that fits.
            if o.kind != .combined, u.kind == .combined {
                if u.subschemas.count == 1 {
                    var sub = subcontext()
                    try sub.compare(o, u.subschemas[0])
                    if sub.isCompatible { return differences += sub.differences }
                } else if u.criterion != .allOf {
                    for branch in u.subschemas {
                        var sub = subcontext()
                        try sub.compare(o, branch)
                        if sub.isCompatible {
                            differences += sub.differences
                            return add("SUM_TYPE_EXTENDED")
                        }
                    }
                }
            } else if o.kind == .combined, u.kind != .combined {
                if o.subschemas.count == 1 {
                    var sub = subcontext()
                    try sub.compare(o.subschemas[0], u)
                    if sub.isCompatible { return differences += sub.differences }
                } else if o.criterion == .allOf {
                    for part in o.subschemas {
                        var sub = subcontext()
                        try sub.compare(part, u)
                        if sub.isCompatible {
                            differences += sub.differences
                            return add("PRODUCT_TYPE_NARROWED")
                        }
                    }
                }
            }
            if !Self.sameKind(o, u) {
                if o.kind == .falseSchema || u.isEmptyOrTrue { return }
                if o.unprocessed["connect.type"] == .string("bytes"), u.unprocessed["connect.type"] == .string("bytes") { return }
                return add("TYPE_CHANGED")
            }
            let pair = Pair(original: ObjectIdentifier(o), update: ObjectIdentifier(u))
            guard inProgress.insert(pair).inserted else { return }
            defer { inProgress.remove(pair) }
            if o.id != u.id { add("ID_CHANGED") }
            if o.title != u.title { add("TITLE_CHANGED") }
            if o.description != u.description { add("DESCRIPTION_CHANGED") }
            if o.defaultValue.map(Self.sortedText) != u.defaultValue.map(Self.sortedText) { add("DEFAULT_CHANGED") }
            switch o.kind {
            case .string: compareStrings(o, u)
            case .number: compareNumbers(o, u)
            case .constant:
                if Self.sortedText(o.values[0]) != Self.sortedText(u.values[0]) { add("ENUM_ARRAY_CHANGED", "const") }
            case .enumeration: compareEnums(o, u)
            case .combined: try compareCombined(o, u)
            case .not:
                try within("not") { context in
                    var sub = context.subcontext()
                    try sub.compare(u.subschemas[0], o.subschemas[0])
                    context.add(sub.isCompatible ? "NOT_TYPE_NARROWED" : "NOT_TYPE_EXTENDED")
                }
            case .object: try compareObjects(o, u)
            case .array: try compareArrays(o, u)
            default: break
            }
        }

        /// Same class of schema: equal kinds (`true` and `{}` are both "empty"), or two combinations.
        static func sameKind(_ o: DiffNode, _ u: DiffNode) -> Bool {
            o.kind == u.kind || (o.isEmptyOrTrue && u.isEmptyOrTrue && o.kind == .trueSchema && u.kind == .empty)
        }

        // MARK: - Values

        private mutating func limit(_ attribute: String, _ a: JSONValue?, _ b: JSONValue?, _ prefix: String) {
            guard a != b else { return }
            guard let a else { return add(prefix + "_ADDED", attribute) }
            guard let b else { return add(prefix + "_REMOVED", attribute) }
            switch JSONNumber.compare(a, b) {
            case -1: add(prefix + "_INCREASED", attribute)
            case 1: add(prefix + "_DECREASED", attribute)
            default: break
            }
        }

        private mutating func compareStrings(_ o: DiffNode, _ u: DiffNode) {
            limit("maxLength", o.maxLength, u.maxLength, "MAX_LENGTH")
            limit("minLength", o.minLength, u.minLength, "MIN_LENGTH")
            switch (o.pattern, u.pattern) {
            case (nil, _?): add("PATTERN_ADDED", "pattern")
            case (_?, nil): add("PATTERN_REMOVED", "pattern")
            case (let a?, let b?) where a != b: add("PATTERN_CHANGED", "pattern")
            default: break
            }
        }

        private mutating func compareNumbers(_ o: DiffNode, _ u: DiffNode) {
            limit("maximum", o.maximum, u.maximum, "MAXIMUM")
            limit("minimum", o.minimum, u.minimum, "MINIMUM")
            limit("exclusiveMaximum", o.exclusiveMaximum, u.exclusiveMaximum, "EXCLUSIVE_MAXIMUM")
            limit("exclusiveMinimum", o.exclusiveMinimum, u.exclusiveMinimum, "EXCLUSIVE_MINIMUM")
            if o.multipleOf != u.multipleOf {
                if o.multipleOf == nil {
                    add("MULTIPLE_OF_ADDED", "multipleOf")
                } else if u.multipleOf == nil {
                    add("MULTIPLE_OF_REMOVED", "multipleOf")
                } else {
                    // Confluent compares the whole parts (a fraction's is 0: neither divides the other here).
                    let a = Int64(exactly: (o.multipleOf?.doubleValue ?? 0).rounded(.towardZero)) ?? 0
                    let b = Int64(exactly: (u.multipleOf?.doubleValue ?? 0).rounded(.towardZero)) ?? 0
                    if a != 0, b % a == 0 {
                        add("MULTIPLE_OF_EXPANDED", "multipleOf")
                    } else if b != 0, a % b == 0 {
                        add("MULTIPLE_OF_REDUCED", "multipleOf")
                    } else {
                        add("MULTIPLE_OF_CHANGED", "multipleOf")
                    }
                }
            }
            if o.requiresInteger != u.requiresInteger { add(o.requiresInteger ? "TYPE_EXTENDED" : "TYPE_NARROWED") }
        }

        private mutating func compareEnums(_ o: DiffNode, _ u: DiffNode) {
            let a = Set(o.values.map(Self.sortedText)), b = Set(u.values.map(Self.sortedText))
            guard a != b else { return }
            add(b.isSuperset(of: a) ? "ENUM_ARRAY_EXTENDED" : a.isSuperset(of: b) ? "ENUM_ARRAY_NARROWED" : "ENUM_ARRAY_CHANGED", "enum")
        }

        /// A value's text with object members sorted (values equal as Java's JSON values are; `1` is not `1.0`).
        static func sortedText(_ value: JSONValue) -> String { value.sortedKeys.jsonText }

        // MARK: - Combinations

        private mutating func compareCombined(_ o: DiffNode, _ u: DiffNode) throws {
            if o.criterion != u.criterion {
                let oneEach = o.subschemas.count == 1 && u.subschemas.count == 1
                let extended =
                    u.criterion == .anyOf || oneEach || (o.subschemas.count == 1 && u.criterion == .oneOf)
                    || (u.subschemas.count == 1 && o.criterion == .allOf)
                guard extended else { return add("COMBINED_TYPE_CHANGED") }
                add("COMBINED_TYPE_EXTENDED")
            }
            let os = Self.distinct(o.subschemas), us = Self.distinct(u.subschemas)
            if os.count < us.count {
                add(u.criterion == .allOf ? "PRODUCT_TYPE_EXTENDED" : "SUM_TYPE_EXTENDED")
            } else if os.count > us.count {
                add(o.criterion == .allOf ? "PRODUCT_TYPE_NARROWED" : "SUM_TYPE_NARROWED")
            }
            // Which original part can become which new one (a compatible comparison), then as many
            // pairs as can be matched one to one.
            var edges: [[Int: [Difference]]] = Array(repeating: [:], count: os.count)
            for (i, part) in os.enumerated() {
                try within("\(o.criterion.rawValue)/\(i)") { context in
                    for (j, candidate) in us.enumerated() {
                        var sub = context.subcontext()
                        try sub.compare(part, candidate)
                        if sub.isCompatible { edges[i][j] = sub.differences }
                    }
                }
            }
            var partner: [Int: Int] = [:]  // update index -> original index
            func augment(_ i: Int, _ seen: inout Set<Int>) -> Bool {
                for j in edges[i].keys.sorted() where seen.insert(j).inserted {
                    if partner[j] == nil || augment(partner[j]!, &seen) {
                        partner[j] = i
                        return true
                    }
                }
                return false
            }
            for i in os.indices {
                var seen = Set<Int>()
                _ = augment(i, &seen)
            }
            for (j, i) in partner.sorted(by: { $0.value < $1.value }) { differences += edges[i][j] ?? [] }
            if partner.count < min(os.count, us.count) { add("COMBINED_TYPE_SUBSCHEMAS_CHANGED") }
        }

        /// Parts without repeats (by structure), first occurrences in order.
        static func distinct(_ parts: [DiffNode]) -> [DiffNode] {
            var seen = Set<String>()
            return parts.filter { seen.insert(signature($0.resolved, depth: 0)).inserted }
        }

        /// A node's structure as text (references followed a few levels: enough to tell parts apart).
        static func signature(_ n: DiffNode, depth: Int) -> String {
            guard depth < 8 else { return "…" }
            func sig(_ x: DiffNode?) -> String { x.map { signature($0.resolved, depth: depth + 1) } ?? "-" }
            func text(_ x: JSONValue?) -> String { x.map(sortedText) ?? "-" }
            var parts: [String] = ["\(n.kind)", n.id ?? "-", n.title ?? "-", n.description ?? "-", text(n.defaultValue)]
            switch n.kind {
            case .string: parts += [text(n.minLength), text(n.maxLength), n.pattern ?? "-"]
            case .number:
                parts += [n.minimum, n.maximum, n.exclusiveMinimum, n.exclusiveMaximum, n.multipleOf].map(text) + ["\(n.requiresInteger)"]
            case .enumeration, .constant: parts += n.values.map(sortedText).sorted()
            case .combined: parts += [n.criterion.rawValue] + n.subschemas.map(sig)
            case .not: parts += n.subschemas.map(sig)
            case .object:
                parts += n.properties.map { "\($0.0)=\(sig($0.1))" } + ["req:" + n.required.joined(separator: ",")]
                parts += n.patternProperties.map { "\($0.0)~\(sig($0.1))" } + ["\(n.permitsAdditional)", sig(n.additionalSchema)]
                parts += [text(n.minProperties), text(n.maxProperties), sig(n.unevaluatedProperties)]
                parts += n.propertyDependencies.map { "\($0.0)>\($0.1.sorted())" } + n.schemaDependencies.map { "\($0.0)>\(sig($0.1))" }
            case .array:
                parts += [sig(n.allItems), (n.itemList ?? []).map(sig).joined(separator: ","), "\(n.permitsAdditionalItems)"]
                parts += [sig(n.additionalItemsSchema), text(n.minItems), text(n.maxItems), "\(n.uniqueItems)", sig(n.unevaluatedItems)]
                parts += [text(n.minContains), text(n.maxContains)]
            default: break
            }
            return "{" + parts.joined(separator: "|") + "}"
        }

        // MARK: - Objects

        private static func isOpen(_ s: DiffNode) -> Bool {
            s.permitsAdditional && s.additionalSchema == nil && s.patternProperties.isEmpty
                && (s.unevaluatedProperties.map { $0.resolved.isEmptyOrTrue } ?? true)
        }

        /// What the content model says about a property `name` not declared: a pattern's schema, the
        /// additional properties' schema, the unevaluated properties' schema; nil when it is closed.
        private static func partialSchema(_ s: DiffNode, _ name: String) -> DiffNode? {
            for (source, schema) in s.patternProperties {
                if let pattern = Pattern(source), pattern.matches(name, budget: 100) == true { return schema }
            }
            if let additional = s.additionalSchema { return additional }
            if s.permitsAdditional, let unevaluated = s.unevaluatedProperties?.resolved, unevaluated.kind != .falseSchema,
                !unevaluated.isEmptyOrTrue
            {
                return unevaluated
            }
            return nil
        }

        private mutating func compareObjects(_ o: DiffNode, _ u: DiffNode) throws {
            within("required") { context in
                for name in JavaHashOrder.map(o.properties.map(\.0)) where u.property(name) != nil {
                    context.within(name) { context in
                        let was = o.required.contains(name), now = u.required.contains(name)
                        if was && !now {
                            context.add("REQUIRED_ATTRIBUTE_REMOVED")
                        } else if now && !was {
                            context.add(
                                u.property(name)?.resolved.defaultValue != nil
                                    ? "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" : "REQUIRED_ATTRIBUTE_ADDED")
                        }
                    }
                }
            }
            try within("properties") { context in
                for name in JavaHashOrder.union(o.properties.map(\.0), u.properties.map(\.0)) {
                    try context.within(name) { context in try context.compareProperty(name, o, u) }
                }
            }
            try within("dependencies") { context in
                let od = Dictionary(o.propertyDependencies, uniquingKeysWith: { $1 })
                let ud = Dictionary(u.propertyDependencies, uniquingKeysWith: { $1 })
                for name in JavaHashOrder.union(o.propertyDependencies.map(\.0), u.propertyDependencies.map(\.0)) {
                    context.within(name) { context in
                        guard let b = ud[name] else { return context.add("DEPENDENCY_ARRAY_REMOVED") }
                        guard let a = od[name] else { return context.add("DEPENDENCY_ARRAY_ADDED") }
                        guard a != b else { return }
                        context.add(
                            b.isSuperset(of: a)
                                ? "DEPENDENCY_ARRAY_EXTENDED"
                                : a.isSuperset(of: b) ? "DEPENDENCY_ARRAY_NARROWED" : "DEPENDENCY_ARRAY_CHANGED")
                    }
                }
                let os = Dictionary(o.schemaDependencies, uniquingKeysWith: { $1 })
                let us = Dictionary(u.schemaDependencies, uniquingKeysWith: { $1 })
                for name in JavaHashOrder.union(o.schemaDependencies.map(\.0), u.schemaDependencies.map(\.0)) {
                    try context.within(name) { context in
                        guard let b = us[name] else { return context.add("DEPENDENCY_SCHEMA_REMOVED") }
                        guard let a = os[name] else { return context.add("DEPENDENCY_SCHEMA_ADDED") }
                        try context.compare(a, b)
                    }
                }
            }
            try within("additionalProperties") { context in
                if o.permitsAdditional != u.permitsAdditional {
                    context.add(u.permitsAdditional ? "ADDITIONAL_PROPERTIES_ADDED" : "ADDITIONAL_PROPERTIES_REMOVED")
                } else if o.additionalSchema == nil, u.additionalSchema != nil {
                    context.add("ADDITIONAL_PROPERTIES_NARROWED")
                } else if u.additionalSchema == nil, o.additionalSchema != nil {
                    context.add("ADDITIONAL_PROPERTIES_EXTENDED")
                } else {
                    try context.compare(o.additionalSchema, u.additionalSchema)
                }
            }
            try compareUnevaluated(o.unevaluatedProperties, u.unevaluatedProperties, "unevaluatedProperties", "UNEVALUATED_PROPERTIES")
            limit("maxProperties", o.maxProperties, u.maxProperties, "MAX_PROPERTIES")
            limit("minProperties", o.minProperties, u.minProperties, "MIN_PROPERTIES")
        }

        private mutating func compareProperty(_ name: String, _ o: DiffNode, _ u: DiffNode) throws {
            switch (o.property(name), u.property(name)) {
            case (let a?, let b?):
                try compare(a, b)
            case (let removed?, nil):
                if Self.isOpen(u) {
                    add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
                } else if let partial = Self.partialSchema(u, name) {
                    var sub = subcontext()
                    try sub.compare(removed, partial)
                    differences += sub.differences
                    add(
                        sub.isCompatible
                            ? "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                            : "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
                } else {
                    add(
                        removed.resolved.kind == .falseSchema
                            ? "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL" : "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")
                }
            case (nil, let added?):
                let required = u.required.contains(name), hasDefault = added.resolved.defaultValue != nil
                if Self.isOpen(o) {
                    if added.resolved.isEmptyOrTrue {
                        add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
                    } else if required {
                        add(
                            hasDefault
                                ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
                                : "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
                    } else {
                        add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
                    }
                } else {
                    if let partial = Self.partialSchema(o, name) {
                        var sub = subcontext()
                        try sub.compare(partial, added)
                        differences += sub.differences
                        add(
                            sub.isCompatible
                                ? "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                                : "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
                    }
                    if required {
                        add(
                            hasDefault
                                ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
                                : "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
                    } else {
                        add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
                    }
                }
            case (nil, nil):
                break
            }
        }

        private mutating func compareUnevaluated(_ a: DiffNode?, _ b: DiffNode?, _ segment: String, _ prefix: String) throws {
            guard a != nil || b != nil else { return }
            try within(segment) { context in
                let a = a?.resolved, b = b?.resolved
                guard let a else { return context.add(prefix + (b?.kind == .falseSchema ? "_REMOVED" : "_NARROWED")) }
                guard let b else { return context.add(prefix + (a.kind == .falseSchema ? "_ADDED" : "_EXTENDED")) }
                if a.kind == .falseSchema, b.kind != .falseSchema {
                    context.add(prefix + "_ADDED")
                } else if a.kind != .falseSchema, b.kind == .falseSchema {
                    context.add(prefix + "_REMOVED")
                } else if a.isEmptyOrTrue, !b.isEmptyOrTrue {
                    context.add(prefix + "_NARROWED")
                } else if !a.isEmptyOrTrue, b.isEmptyOrTrue {
                    context.add(prefix + "_EXTENDED")
                } else {
                    try context.compare(a, b)
                }
            }
        }

        // MARK: - Arrays

        private static func isOpenArray(_ s: DiffNode) -> Bool {
            s.permitsAdditionalItems && s.additionalItemsSchema == nil && (s.unevaluatedItems.map { $0.resolved.isEmptyOrTrue } ?? true)
        }

        private static func partialItems(_ s: DiffNode) -> DiffNode? {
            if let additional = s.additionalItemsSchema { return additional }
            if s.permitsAdditionalItems, let unevaluated = s.unevaluatedItems?.resolved, unevaluated.kind != .falseSchema,
                !unevaluated.isEmptyOrTrue
            {
                return unevaluated
            }
            return nil
        }

        private mutating func compareArrays(_ o: DiffNode, _ u: DiffNode) throws {
            try within("items") { context in try context.compare(o.allItems, u.allItems) }
            let a = o.itemList ?? [], b = u.itemList ?? []
            for i in 0..<max(a.count, b.count) {
                try within("items/\(i)") { context in
                    if i < a.count, i < b.count {
                        try context.compare(a[i], b[i])
                    } else if i < a.count {
                        if Self.isOpenArray(u) {
                            context.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
                        } else if let partial = Self.partialItems(u) {
                            var sub = context.subcontext()
                            try sub.compare(a[i], partial)
                            context.differences += sub.differences
                            context.add(
                                sub.isCompatible
                                    ? "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                                    : "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
                        } else {
                            context.add(
                                a[i].resolved.kind == .falseSchema
                                    ? "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL" : "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")
                        }
                    } else {
                        if Self.isOpenArray(o) {
                            context.add(
                                b[i].resolved.isEmptyOrTrue
                                    ? "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" : "ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
                        } else if let partial = Self.partialItems(o) {
                            var sub = context.subcontext()
                            try sub.compare(partial, b[i])
                            context.differences += sub.differences
                            context.add(
                                sub.isCompatible
                                    ? "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                                    : "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
                        } else {
                            context.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")
                        }
                    }
                }
            }
            try within("additionalItems") { context in
                if o.permitsAdditionalItems != u.permitsAdditionalItems {
                    context.add(o.permitsAdditionalItems ? "ADDITIONAL_ITEMS_REMOVED" : "ADDITIONAL_ITEMS_ADDED")
                } else if o.additionalItemsSchema == nil, u.additionalItemsSchema != nil {
                    context.add("ADDITIONAL_ITEMS_NARROWED")
                } else if u.additionalItemsSchema == nil, o.additionalItemsSchema != nil {
                    context.add("ADDITIONAL_ITEMS_EXTENDED")
                } else {
                    try context.compare(o.additionalItemsSchema, u.additionalItemsSchema)
                }
            }
            try compareUnevaluated(o.unevaluatedItems, u.unevaluatedItems, "unevaluatedItems", "UNEVALUATED_ITEMS")
            limit("maxItems", o.maxItems, u.maxItems, "MAX_ITEMS")
            limit("minItems", o.minItems, u.minItems, "MIN_ITEMS")
            if o.uniqueItems != u.uniqueItems { add(o.uniqueItems ? "UNIQUE_ITEMS_REMOVED" : "UNIQUE_ITEMS_ADDED", "uniqueItems") }
            func number(_ v: JSONValue?) -> JSONValue? { v.flatMap { JSONNumber.isNumber($0) ? $0 : nil } }
            limit("maxContains", number(o.maxContains), number(u.maxContains), "MAX_CONTAINS")
            limit("minContains", number(o.minContains), number(u.minContains), "MIN_CONTAINS")
        }
    }

    // MARK: - The compatible sets

    /// Confluent's STRICT compatible changes (its default policy).
    static let strict: Set<String> = [
        "ADDITIONAL_ITEMS_ADDED", "ADDITIONAL_ITEMS_EXTENDED", "ADDITIONAL_PROPERTIES_ADDED", "ADDITIONAL_PROPERTIES_EXTENDED",
        "COMBINED_TYPE_EXTENDED", "DEFAULT_CHANGED", "DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_SCHEMA_REMOVED",
        "DESCRIPTION_CHANGED", "ENUM_ARRAY_EXTENDED", "EXCLUSIVE_MAXIMUM_INCREASED", "EXCLUSIVE_MAXIMUM_REMOVED",
        "EXCLUSIVE_MINIMUM_DECREASED", "EXCLUSIVE_MINIMUM_REMOVED", "ID_CHANGED", "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "MAXIMUM_INCREASED",
        "MAXIMUM_REMOVED", "MAX_CONTAINS_INCREASED", "MAX_CONTAINS_REMOVED", "MAX_ITEMS_INCREASED", "MAX_ITEMS_REMOVED",
        "MAX_LENGTH_INCREASED", "MAX_LENGTH_REMOVED", "MAX_PROPERTIES_INCREASED", "MAX_PROPERTIES_REMOVED", "MINIMUM_DECREASED",
        "MINIMUM_REMOVED", "MIN_CONTAINS_DECREASED", "MIN_CONTAINS_REMOVED", "MIN_ITEMS_DECREASED", "MIN_ITEMS_REMOVED",
        "MIN_LENGTH_DECREASED", "MIN_LENGTH_REMOVED", "MIN_PROPERTIES_DECREASED", "MIN_PROPERTIES_REMOVED", "MULTIPLE_OF_REDUCED",
        "MULTIPLE_OF_REMOVED", "NOT_TYPE_NARROWED", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "PATTERN_REMOVED",
        "PRODUCT_TYPE_NARROWED", "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "REQUIRED_ATTRIBUTE_REMOVED", "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", "SCHEMA_REMOVED", "SUM_TYPE_EXTENDED", "TITLE_CHANGED",
        "TYPE_EXTENDED", "UNEVALUATED_ITEMS_ADDED", "UNEVALUATED_ITEMS_EXTENDED", "UNEVALUATED_PROPERTIES_ADDED",
        "UNEVALUATED_PROPERTIES_EXTENDED", "UNIQUE_ITEMS_REMOVED",
    ]

    /// LENIENT: STRICT, and changes to properties under an open or closed content model.
    static let lenient: Set<String> = strict.union([
        "ADDITIONAL_PROPERTIES_NARROWED", "ADDITIONAL_PROPERTIES_REMOVED", "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
        "UNEVALUATED_PROPERTIES_NARROWED", "UNEVALUATED_PROPERTIES_REMOVED",
    ])
}

/// The iteration order of Java's `HashSet<String>`/`HashMap<String, …>`, which decides the order of
/// Confluent's differences for properties and dependencies: buckets by String.hashCode (UTF-16 code
/// units, spread by `h ^ h >>> 16`) in a table of Java's capacity, insertion order within a bucket.
enum JavaHashOrder {
    static func hash(_ s: String) -> UInt32 {
        var h: UInt32 = 0
        for unit in s.utf16 { h = h &* 31 &+ UInt32(unit) }
        return h ^ (h >> 16)
    }

    private static func sorted(_ keys: [String], capacity: Int) -> [String] {
        keys.enumerated().sorted {
            let (a, b) = (Int(hash($0.element)) & (capacity - 1), Int(hash($1.element)) & (capacity - 1))
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
    }

    /// A `HashMap` filled with `keys` (16 buckets, doubled while more than three quarters full).
    static func map(_ keys: [String]) -> [String] {
        var capacity = 16
        while keys.count > capacity * 3 / 4 { capacity *= 2 }
        return sorted(keys, capacity: capacity)
    }

    /// `new HashSet<>(original)` then `addAll(update)`.
    static func union(_ original: [String], _ update: [String]) -> [String] {
        var keys = original
        var seen = Set(original)
        for key in update where seen.insert(key).inserted { keys.append(key) }
        var capacity = 1
        let initial = max(Int(Float(original.count) / 0.75) + 1, 16)
        while capacity < initial { capacity *= 2 }
        while keys.count > capacity * 3 / 4 { capacity *= 2 }
        return sorted(keys, capacity: capacity)
    }
}

extension JSONValue {
    /// The value with every object's members sorted by name (Java's String order: UTF-16 code units),
    /// arrays as they are: Confluent's `normalize=true` form of a JSON schema.
    var sortedKeys: JSONValue {
        switch self {
        case .array(let items): return .array(items.map(\.sortedKeys))
        case .object(let object):
            let members = lastValues(object).sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
            return .object(JSONObject(members.map { (key: $0.key, value: $0.value.sortedKeys) }))
        default: return self
        }
    }
}
