import CanonCore
import CanonJSONSchema
import Foundation

/// JSON Schema files read as Swift types: the model the JSON translator renders, as ``TypeModel`` is
/// for Avro.
///
/// Each file's root schema and every schema a `$ref` names that defines a type (an object with
/// properties, a string enum, a `oneOf`/`anyOf` of two or more kinds) becomes a top-level type, named by
/// its `title` (a root), its `$defs` key, or its file name; a type defined inline is nested in the type
/// that uses it, named by its property. References resolve through ``SchemaIndex``, the validator's own
/// resolution, so a `$ref` reaches here what it reaches when validating.
struct JSONTypeModel {
    typealias Location = SchemaIndex.Location

    /// What a value is in Swift.
    indirect enum Kind: Hashable {
        case string, bool
        /// Any JSON (`{}`, `true`, or a schema that admits several kinds without telling them apart).
        case any
        /// An integer or a number, by Swift type name (`Swift.Int32`, `Swift.Double`).
        case integer(String), number(String)
        case array(Kind)
        /// A JSON object used as a dictionary: the kind of its values.
        case map(Kind)
        case optional(Kind)
        /// One of ``types``.
        case named(Int)
    }

    /// A member of an object type.
    struct Property {
        var jsonName: String
        var swiftName: String
        var kind: Kind
        var required: Bool
        var doc: String?
        /// A `const` property: not stored, fixed to this value.
        var constant: JSONValue?
        /// Kept behind ``JSONIndirect`` because its type contains this one.
        var boxed = false
    }

    /// A case of a `oneOf`/`anyOf` enum.
    struct UnionCase {
        var name: String
        var kind: Kind
        /// The JSON kind that selects the case.
        var shape: String
        /// The discriminator's value, when several object cases are told apart by a property.
        var discriminator: String?
    }

    enum Body {
        case object(properties: [Property], additional: Kind?)
        case stringEnum([(name: String, raw: String)])
        case union(cases: [UnionCase], discriminator: String?)
    }

    struct TypeDecl {
        var name: String
        var parent: Int?
        var location: Location
        var doc: String?
        var body: Body
        /// The file whose output holds it (top-level types) and its nested types.
        var file: String
        var children: [Int] = []
        /// The root type of a file: it carries the file's schema.
        var isRoot = false
        /// A union enum reaching itself: rendered `indirect`.
        var isIndirect = false
    }

    private(set) var types: [TypeDecl] = []
    /// The root type of each file, by path (nil when the root schema defines no type).
    private(set) var roots: [String: Int] = [:]
    private var byLocation: [Location: Int] = [:]
    private var index: SchemaIndex
    private let fileOfDocument: [String: String]
    /// Files with a root `$id`, by that (absolute) `$id`.
    private let documentOfID: [String: String]
    private var inlining: Set<Location> = []
    private var effectiveCache: [Location: Effective] = [:]
    /// How deep `kind` is in nested schemas and references: bounded, so no schema exhausts the stack.
    private var depth = 0
    private var topLevelNames: [String: Location] = [:]
    private(set) var diagnostics: [Diagnostic] = []

    /// The retrieval URI a schema file is known by: its path under `file:///`, so relative references
    /// between files resolve as paths do.
    static func documentURI(_ path: String) -> String { "file:///" + path }

    /// The files as parsed, by path.
    let files: [String: JSONValue]

    /// Reads the JSON Schema files among `sourceFiles` (`.json`; the others are Avro): one that is not
    /// JSON is a diagnostic naming it.
    init(sourceFiles: [SourceFile]) {
        var parsed: [(path: String, schema: JSONValue)] = []
        var unparsable: [Diagnostic] = []
        for file in sourceFiles where CanonCodegen.isJSONSchema(file.path) {
            do {
                parsed.append((file.path, try JSONReader.parse(file.contents)))
            } catch {
                unparsable.append(
                    Diagnostic(file: file.path, message: "not valid JSON: \(error.message) (line \(error.line), column \(error.column))"))
            }
        }
        self.init(files: parsed)
        diagnostics = unparsable + diagnostics
    }

    /// The root types, by the names a topic setting may use for them (the Swift name and the `title`):
    /// their file, Swift name and the record name subject strategies use (the `title`).
    var topicTypes: [String: (path: String, swiftName: String, recordName: String)] {
        var out: [String: (path: String, swiftName: String, recordName: String)] = [:]
        for (path, i) in roots.sorted(by: { $0.key < $1.key }) {
            let recordName = files[path]?["title"]?.stringValue ?? types[i].name
            out[types[i].name] = (path, types[i].name, recordName)
            out[recordName] = (path, types[i].name, recordName)
        }
        return out
    }

    /// The text a file's schema is registered with: ``bundled(_:files:)`` as compact JSON.
    func registrationText(_ path: String) -> String { bundled(path, files: files).jsonText }

    init(files: [(path: String, schema: JSONValue)]) {
        self.files = Dictionary(files, uniquingKeysWith: { a, _ in a })
        var documents: [String: JSONValue] = [:]
        var fileOfDocument: [String: String] = [:]
        for f in files {
            documents[Self.documentURI(f.path)] = f.schema
            fileOfDocument[Self.documentURI(f.path)] = f.path
        }
        self.fileOfDocument = fileOfDocument
        var documentOfID: [String: String] = [:]
        for f in files {
            if let id = f.schema["$id"]?.stringValue ?? f.schema["id"]?.stringValue {
                documentOfID[SchemaIndex.documentURI(of: id, base: Self.documentURI(f.path))] = Self.documentURI(f.path)
            }
        }
        self.documentOfID = documentOfID
        index = SchemaIndex(documents: documents, defaultDraft: .draft7)
        // Every document is indexed before any is walked, so a `$ref` may name another file by its `$id`
        // whatever the order of the files.
        var unreadable: Set<String> = []
        for f in files.sorted(by: { $0.path < $1.path }) {
            do {
                try index.add(document: Self.documentURI(f.path), f.schema)
            } catch {
                diagnostics.append(Diagnostic(file: f.path, message: Self.relative(ModelError(error).message, to: f.path)))
                unreadable.insert(f.path)
            }
        }
        for f in files.sorted(by: { $0.path < $1.path }) where !unreadable.contains(f.path) {
            let root = Location(document: Self.documentURI(f.path), pointer: "")
            do {
                var kind = try namedKind(root, name: Self.rootName(f.path, f.schema))
                if case .optional(let wrapped) = kind { kind = wrapped }
                if case .named(let i) = kind, types[i].location == root {
                    types[i].isRoot = true
                    roots[f.path] = i
                }
            } catch {
                diagnostics.append(Diagnostic(file: f.path, message: Self.relative(error.message, to: f.path)))
            }
        }
        renameNestedTypes()
        markRecursion()
    }

    /// A message about a place in `path`, for a diagnostic that names the file: `at #/oneOf/1: ...`.
    static func relative(_ message: String, to path: String) -> String {
        if message.hasPrefix(path + "#") { return "at " + message.dropFirst(path.count) }
        if message.hasPrefix(path + ": ") { return String(message.dropFirst(path.count + 2)) }
        return message
    }

    /// Names a nested type may not have: a member type called `Type` or `Self` means something else in
    /// Swift, and one named as a top-level type, an enclosing type or a module the generated code names
    /// would hide it inside its parent.
    static let reservedNestedNames: Set<String> = [
        "Type", "Self", "Protocol", "Any", "Swift", "Foundation", "CanonCore", "CanonJSONSchema", "CanonAvro",
    ]

    /// Renames nested types whose names would hide a top-level type, an enclosing type or a module (top-
    /// level names are known only once every file is walked).
    private mutating func renameNestedTypes() {
        let topLevel = Set(types.filter { $0.parent == nil }.map(\.name))
        for i in types.indices where types[i].parent != nil {
            var taken = topLevel.union(Self.reservedNestedNames)
            var p = types[i].parent
            while let parent = p {
                taken.insert(types[parent].name)
                p = types[parent].parent
            }
            for sibling in types[types[i].parent!].children where sibling != i { taken.insert(types[sibling].name) }
            if taken.contains(types[i].name) { types[i].name = Self.unique(types[i].name, &taken) }
        }
    }

    // MARK: - Names

    /// A root type's name: its `title`, else the file name without `.schema.json` / `.json`.
    static func rootName(_ path: String, _ schema: JSONValue) -> String {
        if let title = schema["title"]?.stringValue, !title.isEmpty { return typeName(title) }
        var stem = String(path.split(separator: "/").last ?? "")
        for suffix in [".schema.json", ".json"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
            break
        }
        return typeName(stem)
    }

    /// `UpperCamelCase` from any text: characters that cannot be in an identifier split words.
    static func typeName(_ text: String) -> String {
        let name = SwiftNaming.typeName(String(text.map { $0.isLetter || $0.isNumber ? $0 : "_" }))
        return SwiftNaming.reservedTypeNames.union(["CanonCore", "CanonJSONSchema"]).contains(name) ? name + "_" : name
    }

    /// `lowerCamelCase` from any text (escape keywords with `SwiftNaming.escaped` where it is used).
    static func memberName(_ text: String) -> String {
        SwiftNaming.memberName(String(text.map { $0.isLetter || $0.isNumber ? $0 : "_" }))
    }

    /// `name`, or `name2`, `name3`... when `taken` has it.
    static func unique(_ name: String, _ taken: inout Set<String>) -> String {
        var candidate = name
        var n = 2
        while !taken.insert(candidate).inserted {
            candidate = "\(name)\(n)"
            n += 1
        }
        return candidate
    }

    // MARK: - Walking schemas

    struct ModelError: Error {
        var message: String
        init(_ message: String, at location: Location? = nil) {
            self.message = location.map { "\(Self.describe($0)): \(message)" } ?? message
        }
        static func describe(_ location: Location) -> String {
            let file = location.document.hasPrefix("file:///") ? String(location.document.dropFirst(8)) : location.document
            return location.pointer.isEmpty ? file : "\(file)#\(location.pointer)"
        }
        /// The validator's error, with schema files named by their paths.
        init(_ error: JSONSchemaError) { message = error.description.replacingOccurrences(of: "file:///", with: "") }
    }

    private func child(_ location: Location, _ tokens: String...) -> Location {
        Location(document: location.document, pointer: location.pointer + tokens.map { "/" + JSONPointer.escape($0) }.joined())
    }

    /// A schema's keywords together with its `allOf` branches' (followed through `$ref`): properties and
    /// `required` are merged; any other keyword is the schema's own, else the first branch's.
    struct Effective {
        var keywords: [String: (value: JSONValue, location: Location)] = [:]
        var properties: [(name: String, location: Location)] = []
        var required: Set<String> = []

        subscript(_ key: String) -> JSONValue? { keywords[key]?.value }
        func location(_ key: String) -> Location? { keywords[key]?.location }

        /// The `type` keyword as a list.
        var types: [String]? {
            switch self["type"] {
            case .string(let t)?: return [t]
            case .array(let items)?: return items.compactMap(\.stringValue)
            default: return nil
            }
        }
    }

    private mutating func effective(_ location: Location, depth: Int = 0) throws(ModelError) -> Effective {
        if let known = effectiveCache[location] { return known }
        let result = try merge(location, depth: depth)
        effectiveCache[location] = result
        return result
    }

    /// `effective` without the cache (which keeps `allOf` diamonds from costing 2^depth merges).
    private mutating func merge(_ location: Location, depth: Int) throws(ModelError) -> Effective {
        guard depth < 32 else { throw ModelError("allOf and $ref nest more than 32 deep", at: location) }
        guard case .object(let object)? = index.value(at: location) else { return Effective() }
        var result = Effective()
        if case .array(let branches)? = object["allOf"] {
            for i in branches.indices {
                var branch = child(location, "allOf", String(i))
                if case .string(let ref)? = index.value(at: branch)?["$ref"] { branch = try resolve(ref, at: branch) }
                let e = try effective(branch, depth: depth + 1)
                for (k, v) in e.keywords where result.keywords[k] == nil { result.keywords[k] = v }
                for p in e.properties where !result.properties.contains(where: { $0.name == p.name }) { result.properties.append(p) }
                result.required.formUnion(e.required)
            }
        }
        for (key, value) in object where key != "allOf" && key != "properties" && key != "required" {
            result.keywords[key] = (value, child(location, key))
        }
        if case .object(let properties)? = object["properties"] {
            for (name, _) in properties {
                let at = child(location, "properties", name)
                if let i = result.properties.firstIndex(where: { $0.name == name }) {
                    result.properties[i].location = at
                } else {
                    result.properties.append((name, at))
                }
            }
        }
        if case .array(let names)? = object["required"] { result.required.formUnion(names.compactMap(\.stringValue)) }
        return result
    }

    private mutating func resolve(_ reference: String, at location: Location) throws(ModelError) -> Location {
        do {
            return try index.resolve(reference: reference, at: location)
        } catch {
            throw ModelError(error)
        }
    }

    /// What defines a type of its own at a location: an object with properties, a string enum, or a
    /// union of two or more kinds (null aside).
    private enum Definition {
        case object, stringEnum, union([Location]), multiType([String])
    }

    private func definition(_ e: Effective) -> (Definition, nullable: Bool)? {
        if case .array(let values)? = e["enum"] {
            let nullable = values.contains(.null)
            let rest = values.filter { $0 != .null }
            if !rest.isEmpty, rest.allSatisfy({ $0.stringValue != nil }) { return (.stringEnum, nullable) }
            return nil
        }
        if e["const"] != nil { return nil }
        if !e.properties.isEmpty {
            // Properties beside `oneOf`/`anyOf` (`required` alternatives, or variants adding properties):
            // one struct, the branches' own properties optional in it.
            var types = e.types ?? ["object"]
            let nullable = types.contains("null")
            types.removeAll { $0 == "null" }
            if types == ["object"] { return (.object, nullable) }
        }
        for keyword in ["oneOf", "anyOf"] {
            guard case .array(let items)? = e[keyword], let at = e.location(keyword) else { continue }
            var branches: [Location] = []
            var nullable = false
            for i in items.indices {
                let branch = child(at, String(i))
                if isNull(branch) { nullable = true } else { branches.append(branch) }
            }
            if branches.count >= 2 { return (.union(branches), nullable) }
            return nil
        }
        var types = e.types ?? (e.properties.isEmpty ? [] : ["object"])
        let nullable = types.contains("null")
        types.removeAll { $0 == "null" }
        if types.contains("integer") && types.contains("number") { types.removeAll { $0 == "integer" } }
        if types.count >= 2 { return (.multiType(types), nullable) }
        if types == ["object"], !e.properties.isEmpty { return (.object, nullable) }
        return nil
    }

    private func isNull(_ location: Location) -> Bool {
        guard case .object(let object)? = index.value(at: location) else { return false }
        return object["type"] == .string("null") || object["const"] == .null
            || object["enum"] == .array([.null])
    }

    /// The kind of the schema at `location`. A type it defines inline is nested in `parent`, named `hint`.
    mutating func kind(_ location: Location, hint: String, parent: Int?) throws(ModelError) -> Kind {
        guard depth < 256 else { throw ModelError("schemas and references nest more than 256 deep", at: location) }
        depth += 1
        defer { depth -= 1 }
        guard let value = index.value(at: location) else { throw ModelError("no schema at this location", at: location) }
        switch value {
        case .bool(true): return .any
        case .bool(false): throw ModelError("the schema false admits no value, so no Swift type can hold one", at: location)
        case .object(let object):
            if case .string(let ref)? = object["$ref"] { return try namedKind(try resolve(ref, at: location), name: nil) }
        default: throw ModelError("a schema must be an object or a boolean", at: location)
        }
        let e = try effective(location)
        if let (definition, nullable) = definition(e) {
            let i = try define(location, name: hint, parent: parent, e, definition)
            return nullable ? .optional(.named(i)) : .named(i)
        }
        return try simpleKind(e, location, hint: hint, parent: parent)
    }

    /// The kind of a schema that defines no type of its own.
    private mutating func simpleKind(_ e: Effective, _ location: Location, hint: String, parent: Int?) throws(ModelError) -> Kind {
        if let constant = e["const"] { return Self.constantKind(constant) }
        if case .array(let values)? = e["enum"] {
            let kinds = Set(values.filter { $0 != .null }.map(Self.constantKind))
            guard kinds.count == 1, let only = kinds.first else { return .any }
            return values.contains(.null) ? .optional(only) : only
        }
        var types = e.types ?? []
        if types.isEmpty {
            if e["items"] != nil || e["prefixItems"] != nil { types = ["array"] }
            if e["additionalProperties"] != nil { types = ["object"] }
        }
        let nullable = types.contains("null")
        types.removeAll { $0 == "null" }
        if types.contains("integer") && types.contains("number") { types.removeAll { $0 == "integer" } }
        let kind: Kind
        switch types.first {
        case nil: return nullable ? .optional(.any) : .any
        case "string": kind = .string
        case "boolean": kind = .bool
        case "integer": kind = .integer(Self.integerTypes[e["format"]?.stringValue ?? ""] ?? "Swift.Int")
        case "number": kind = .number(Self.numberTypes[e["format"]?.stringValue ?? ""] ?? "Swift.Double")
        case "array":
            if let items = e.location("items"), case .object? = e["items"] {
                kind = .array(try self.kind(items, hint: hint + "Item", parent: parent))
            } else if let items = e.location("items"), case .bool? = e["items"] {
                kind = .array(try self.kind(items, hint: hint + "Item", parent: parent))
            } else {
                kind = .array(.any)
            }
        case "object":
            if let additional = e.location("additionalProperties"), case .object? = e["additionalProperties"] {
                kind = .map(try self.kind(additional, hint: hint + "Value", parent: parent))
            } else {
                kind = .map(.any)
            }
        default: kind = .any
        }
        return nullable ? .optional(kind) : kind
    }

    static let integerTypes = [
        "int8": "Swift.Int8", "int16": "Swift.Int16", "int32": "Swift.Int32", "int64": "Swift.Int64", "uint8": "Swift.UInt8",
        "uint16": "Swift.UInt16", "uint32": "Swift.UInt32", "uint64": "Swift.UInt64",
    ]
    static let numberTypes = ["float": "Swift.Float", "double": "Swift.Double"]

    static func constantKind(_ value: JSONValue) -> Kind {
        switch value {
        case .string: return .string
        case .bool: return .bool
        case .int: return .integer("Swift.Int")
        case .uint: return .integer("Swift.UInt64")
        case .double: return .number("Swift.Double")
        default: return .any
        }
    }

    /// The kind of a `$ref` target (or a file's root): a top-level type when it defines one, else its
    /// kind inline.
    private mutating func namedKind(_ location: Location, name: String?) throws(ModelError) -> Kind {
        if let i = byLocation[location] { return .named(i) }
        let e = try effective(location)
        if case .object(let object)? = index.value(at: location), case .string(let ref)? = object["$ref"] {
            guard inlining.insert(location).inserted else {
                throw ModelError("this $ref leads back to itself without passing an object, enum or union", at: location)
            }
            defer { inlining.remove(location) }
            return try namedKind(try resolve(ref, at: location), name: name)
        }
        let typeName = name ?? topLevelName(location)
        if let (definition, nullable) = definition(e) {
            if let other = topLevelNames[typeName], other != location {
                throw ModelError(
                    "its type would be named \(typeName), as \(ModelError.describe(other))'s is; give one of them another title or $defs key",
                    at: location)
            }
            topLevelNames[typeName] = location
            let i = try define(location, name: typeName, parent: nil, e, definition)
            return nullable ? .optional(.named(i)) : .named(i)
        }
        guard inlining.insert(location).inserted else {
            throw ModelError("a recursive schema must pass through an object, enum or union", at: location)
        }
        defer { inlining.remove(location) }
        return try simpleKind(e, location, hint: typeName, parent: nil)
    }

    /// The name of a top-level type at a `$ref` target: its `$defs`/`definitions` key (or last pointer
    /// token), or its file's root name.
    private func topLevelName(_ location: Location) -> String {
        if location.pointer.isEmpty, let path = fileOfDocument[location.document] {
            return Self.rootName(path, index.value(at: location) ?? .null)
        }
        if let title = index.value(at: location)?["title"]?.stringValue, !title.isEmpty, !title.contains(" ") {
            return Self.typeName(title)
        }
        let last = location.pointer.split(separator: "/").last.map(String.init) ?? "Type"
        return Self.typeName(JSONPointer.unescape(last))
    }

    /// Adds a type for the schema at `location` (its body built after its index is reserved, so a
    /// schema may contain itself).
    private mutating func define(
        _ location: Location, name: String, parent: Int?, _ e: Effective, _ definition: Definition
    ) throws(ModelError) -> Int {
        if let i = byLocation[location] { return i }
        guard let file = fileOfDocument[location.document] else {
            throw ModelError("types can only come from the schema files given, not \(location.document)", at: location)
        }
        var siblings = Set((parent.map { types[$0].children } ?? []).map { types[$0].name })
        if let parent { siblings.insert(types[parent].name) }
        let i = types.count
        types.append(
            TypeDecl(
                name: parent == nil ? name : Self.unique(name, &siblings), parent: parent, location: location,
                doc: Self.doc(e), body: .object(properties: [], additional: nil), file: file))
        byLocation[location] = i
        if let parent { types[parent].children.append(i) }
        switch definition {
        case .object: types[i].body = try objectBody(e, location, self: i)
        case .stringEnum: types[i].body = stringEnumBody(e)
        case .union(let branches): types[i].body = try unionBody(branches, location, self: i)
        case .multiType(let kinds): types[i].body = try multiTypeBody(kinds, e, location, self: i)
        }
        return i
    }

    static func doc(_ e: Effective) -> String? {
        let parts = [e["title"]?.stringValue, e["description"]?.stringValue].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: "\n\n")
    }

    private mutating func objectBody(_ e: Effective, _ location: Location, self i: Int) throws(ModelError) -> Body {
        var properties: [Property] = []
        var taken: Set<String> = ["additionalProperties", "jsonSchema", "hashValue"]
        for (name, at) in e.properties {
            // `"p": false` forbids the property: there is nothing to hold.
            if index.value(at: at) == .bool(false) { continue }
            let swiftName = SwiftNaming.escaped(Self.unique(Self.memberName(name), &taken))
            let pe = try effective(at)
            if let constant = pe["const"], Self.constantKind(constant) != .any {
                properties.append(
                    Property(
                        jsonName: name, swiftName: swiftName, kind: Self.constantKind(constant), required: e.required.contains(name),
                        doc: Self.doc(pe), constant: constant))
                continue
            }
            let kind = try self.kind(at, hint: Self.typeName(name), parent: i)
            properties.append(
                Property(jsonName: name, swiftName: swiftName, kind: kind, required: e.required.contains(name), doc: Self.doc(pe)))
        }
        // The properties `oneOf`/`anyOf` branches beside these add: optional here.
        for keyword in ["oneOf", "anyOf"] {
            guard case .array(let items)? = e[keyword], let at = e.location(keyword) else { continue }
            for b in items.indices {
                var branch = child(at, String(b))
                if case .string(let ref)? = index.value(at: branch)?["$ref"] { branch = try resolve(ref, at: branch) }
                for (name, p) in try effective(branch).properties where !properties.contains(where: { $0.jsonName == name }) {
                    if index.value(at: p) == .bool(false) { continue }
                    let pe = try effective(p)
                    let kind = try self.kind(p, hint: Self.typeName(name), parent: i)
                    properties.append(
                        Property(
                            jsonName: name, swiftName: SwiftNaming.escaped(Self.unique(Self.memberName(name), &taken)), kind: kind,
                            required: false, doc: Self.doc(pe)))
                }
            }
        }
        // Members no property names: what `additionalProperties` admits, kept (an open content model,
        // the default, keeps any JSON); none when it is false or `unevaluatedProperties` is.
        var additional: Kind?
        switch (e["additionalProperties"], e["unevaluatedProperties"]) {
        case (.object?, _): additional = try kind(e.location("additionalProperties")!, hint: "AdditionalProperty", parent: i)
        case (.bool(false)?, _), (nil, .bool(false)?): additional = nil
        default: additional = .any
        }
        return .object(properties: properties, additional: additional)
    }

    private func stringEnumBody(_ e: Effective) -> Body {
        guard case .array(let values)? = e["enum"] else { return .stringEnum([]) }
        var taken: Set<String> = ["rawValue", "allCases", "hashValue", "init"]
        return .stringEnum(
            values.compactMap(\.stringValue).map { raw in
                (SwiftNaming.escaped(Self.unique(raw.isEmpty ? "empty" : Self.memberName(raw), &taken)), raw)
            })
    }

    /// The JSON kind a union branch admits: it must admit exactly one to be told apart from the others.
    private mutating func shape(_ location: Location) throws(ModelError) -> String {
        var at = location
        var hops = 0
        while case .string(let ref)? = index.value(at: at)?["$ref"], hops < 32 {
            at = try resolve(ref, at: at)
            hops += 1
        }
        let e = try effective(at)
        if let constant = e["const"] { return constant.typeName }
        if case .array(let values)? = e["enum"] {
            let kinds = Set(values.map(\.typeName))
            if kinds.count == 1 { return kinds.first! }
        }
        var types = e.types ?? []
        if types.isEmpty {
            if !e.properties.isEmpty || e["additionalProperties"] != nil { types = ["object"] }
            if e["items"] != nil || e["prefixItems"] != nil { types = ["array"] }
            if e["oneOf"] != nil || e["anyOf"] != nil { types = ["several kinds"] }
        }
        types = types.map { $0 == "integer" ? "number" : $0 }
        guard Set(types).count == 1 else {
            throw ModelError(
                "this oneOf/anyOf branch admits \(types.isEmpty ? "any kind of value" : types.joined(separator: " or ")), so it cannot be told apart from the others; give it one type",
                at: location)
        }
        return types[0]
    }

    private mutating func unionBody(_ branches: [Location], _ location: Location, self i: Int) throws(ModelError) -> Body {
        var shapes: [String] = []
        for b in branches { shapes.append(try shape(b)) }
        var discriminator: String?
        var discriminatorValues: [Location: String] = [:]
        for s in Set(shapes).sorted() where shapes.filter({ $0 == s }).count > 1 {
            let same = zip(branches, shapes).filter { $0.1 == s }.map(\.0)
            guard s == "object" else {
                throw ModelError(
                    "oneOf/anyOf has \(same.count) branches of kind \(s) (\(same.map { ModelError.describe($0) }.joined(separator: ", "))), which cannot be told apart",
                    at: location)
            }
            (discriminator, discriminatorValues) = try findDiscriminator(same, location)
        }
        var cases: [UnionCase] = []
        var taken: Set<String> = ["jsonSchema", "hashValue", "init"]
        for (b, s) in zip(branches, shapes) {
            let value = discriminatorValues[b]
            let branchName = try branchTypeName(b)
            let base = value.map(Self.memberName) ?? branchName.map(Self.memberName) ?? Self.shapeCaseNames[s] ?? "value"
            let name = Self.unique(base, &taken)
            let kind = try self.kind(b, hint: Self.typeName(name), parent: i)
            cases.append(UnionCase(name: SwiftNaming.escaped(name), kind: kind, shape: s, discriminator: value))
        }
        return .union(cases: cases, discriminator: discriminator)
    }

    static let shapeCaseNames = ["string": "string", "number": "number", "boolean": "bool", "array": "array", "object": "object"]

    private mutating func branchTypeName(_ location: Location) throws(ModelError) -> String? {
        guard case .string(let ref)? = index.value(at: location)?["$ref"] else { return nil }
        let target = try resolve(ref, at: location)
        return byLocation[target].map { types[$0].name } ?? topLevelName(target)
    }

    /// A property every object branch fixes to a distinct string (`const` or a one-value `enum`).
    private mutating func findDiscriminator(_ branches: [Location], _ location: Location) throws(ModelError) -> (
        String, [Location: String]
    ) {
        var candidates: [String: [Location: String]]?
        for b in branches {
            var at = b
            if case .string(let ref)? = index.value(at: at)?["$ref"] { at = try resolve(ref, at: at) }
            let e = try effective(at)
            var fixed: [String: String] = [:]
            for (name, p) in e.properties {
                let pe = try effective(p)
                if let s = pe["const"]?.stringValue {
                    fixed[name] = s
                } else if case .array(let values)? = pe["enum"], values.count == 1, let s = values[0].stringValue {
                    fixed[name] = s
                }
            }
            var next: [String: [Location: String]] = [:]
            for (name, value) in fixed where candidates == nil || candidates?[name] != nil {
                next[name] = (candidates?[name] ?? [:]).merging([b: value]) { a, _ in a }
            }
            candidates = next
        }
        let usable = (candidates ?? [:]).filter { Set($0.value.values).count == branches.count }.keys.sorted()
        guard let name = usable.first, let values = candidates?[name] else {
            throw ModelError(
                "oneOf/anyOf has \(branches.count) object branches and no property that every one of them fixes to a different string (with const), so they cannot be told apart",
                at: location)
        }
        return (name, values)
    }

    private mutating func multiTypeBody(_ kinds: [String], _ e: Effective, _ location: Location, self i: Int) throws(ModelError) -> Body {
        var cases: [UnionCase] = []
        for t in kinds {
            var single = e
            single.keywords["type"] = (.string(t), location)
            let kind = try simpleKindOrObject(single, location, type: t, parent: i)
            let name = t == "integer" ? "integer" : Self.shapeCaseNames[t] ?? t
            cases.append(UnionCase(name: name, kind: kind, shape: t == "integer" ? "number" : t))
        }
        return .union(cases: cases, discriminator: nil)
    }

    private mutating func simpleKindOrObject(_ e: Effective, _ location: Location, type: String, parent: Int) throws(ModelError) -> Kind {
        if type == "object", !e.properties.isEmpty {
            let nested = Location(document: location.document, pointer: location.pointer + "/#object")
            var siblings = Set(types[parent].children.map { types[$0].name })
            let i = types.count
            types.append(
                TypeDecl(
                    name: Self.unique("Object", &siblings), parent: parent, location: nested, doc: nil,
                    body: .object(properties: [], additional: nil), file: types[parent].file))
            types[parent].children.append(i)
            types[i].body = try objectBody(e, location, self: i)
            return .named(i)
        }
        return try simpleKind(e, location, hint: Self.typeName(type), parent: parent)
    }

    // MARK: - Recursion

    /// The types a type holds directly (not through an array or a map), and where.
    private func directEdges(_ i: Int) -> [Int] {
        func direct(_ k: Kind) -> Int? {
            switch k {
            case .named(let j): return j
            case .optional(let w): return direct(w)
            default: return nil
            }
        }
        switch types[i].body {
        case .object(let properties, _): return properties.compactMap { direct($0.kind) }
        case .union(let cases, _): return cases.compactMap { direct($0.kind) }
        case .stringEnum: return []
        }
    }

    private func reaches(_ from: Int, _ target: Int) -> Bool {
        var seen: Set<Int> = []
        var stack = [from]
        while let n = stack.popLast() {
            if n == target { return true }
            if seen.insert(n).inserted { stack += directEdges(n) }
        }
        return false
    }

    /// Boxes the properties and marks `indirect` the unions through which a type contains itself.
    private mutating func markRecursion() {
        for i in types.indices {
            switch types[i].body {
            case .object(var properties, let additional):
                for p in properties.indices {
                    var k = properties[p].kind
                    if case .optional(let w) = k { k = w }
                    if case .named(let j) = k, reaches(j, i) { properties[p].boxed = true }
                }
                types[i].body = .object(properties: properties, additional: additional)
            case .union:
                types[i].isIndirect = directEdges(i).contains { reaches($0, i) }
            case .stringEnum: break
            }
        }
    }

    // MARK: - Registration text

    /// A file's schema, self-contained: the documents its `$ref`s reach in other files are embedded under
    /// `$defs` with their path (relative to this file) as `$id`, the bundling the drafts define, so a
    /// registry and a validator resolve the same references without the other files.
    func bundled(_ path: String, files: [String: JSONValue]) -> JSONValue {
        guard case .object(var root)? = files[path] else { return files[path] ?? .null }
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let uri = Self.documentURI(path)
        let embedded = fileOfDocument.filter { $0.key != uri && reachable(from: uri, to: $0.key, files) }.map(\.value).sorted()
        guard !embedded.isEmpty else { return .object(root) }
        let draft = root["$schema"]?.stringValue.flatMap { JSONSchemaDraft(metaSchemaURI: $0) } ?? .draft7
        let draftKeyword = draft.idKeyword
        let container = draft >= .draft2019_09 ? "$defs" : "definitions"
        var defs: JSONObject = root[container].flatMap { if case .object(let o) = $0 { return o } else { return nil } } ?? [:]
        for other in embedded {
            guard case .object(var document)? = files[other] else { continue }
            let relative =
                directory.isEmpty ? other : (other.hasPrefix(directory + "/") ? String(other.dropFirst(directory.count + 1)) : other)
            if document[draftKeyword] == nil { document[draftKeyword] = .string(relative) }
            defs["canon:" + relative] = .object(document)
        }
        root[container] = .object(defs)
        return .object(root)
    }

    /// Whether a `$ref` chain from one document reaches another.
    private func reachable(from: String, to: String, _ files: [String: JSONValue]) -> Bool {
        var seen: Set<String> = []
        var stack = [from]
        while let d = stack.popLast() {
            if d == to && d != from { return true }
            guard seen.insert(d).inserted, let path = fileOfDocument[d], let value = files[path] else { continue }
            // A file with a root `$id` resolves its references against it, and is named by it.
            let base = value["$id"]?.stringValue.map { SchemaIndex.documentURI(of: $0, base: d) } ?? d
            for ref in Self.references(in: value) {
                let target = SchemaIndex.documentURI(of: ref, base: base)
                stack.append(documentOfID[target] ?? target)
            }
        }
        return false
    }

    static func references(in value: JSONValue) -> [String] {
        var out: [String] = []
        var stack = [value]
        while let v = stack.popLast() {
            switch v {
            case .object(let o):
                if let r = o["$ref"]?.stringValue, !r.hasPrefix("#") { out.append(r) }
                for (_, c) in o { stack.append(c) }
            case .array(let items): stack += items
            default: break
            }
        }
        return out
    }
}
