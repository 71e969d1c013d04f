import CanonCore

/// The schema documents a compilation reaches, scanned: the base URI and draft of every subschema, the
/// schema resources (`$id`) and anchors (`$anchor`, `$dynamicAnchor`, draft 6/7 `$id: "#name"`), and
/// `$ref` resolution over them. The compiler builds its plan on it; the code generator walks schemas
/// with it, so both resolve references the same way.
package struct SchemaIndex {
    /// A place in a document: its URI and an escaped JSON pointer.
    package struct Location: Hashable, Sendable {
        package var document: String
        package var pointer: String
        package var text: String { "\(document)#\(pointer)" }

        package init(document: String, pointer: String) {
            self.document = document
            self.pointer = pointer
        }
    }

    /// What applies at a location: its base URI and draft.
    package struct Scope {
        package var base: String
        package var draft: JSONSchemaDraft
        /// Whether the validation vocabulary applies (a custom meta-schema's `$vocabulary` can leave it out).
        var validates = true
    }

    private let given: [String: JSONValue]
    private let defaultDraft: JSONSchemaDraft
    private var documents: [String: JSONValue] = [:]
    private var scopes: [Location: Scope] = [:]
    private(set) var resources: [String: (location: Location, draft: JSONSchemaDraft)] = [:]
    private var anchors: [String: Location] = [:]
    private(set) var dynamicAnchors: [String: [String: Location]] = [:]
    private(set) var recursiveAnchors: Set<String> = []

    /// `documents`: what a `$ref` may name besides the bundled meta-schemas, by URI.
    package init(documents: [String: JSONValue], defaultDraft: JSONSchemaDraft) {
        var given: [String: JSONValue] = [:]
        for (uri, document) in documents { given[URIReference(uri).base] = document }
        self.given = given
        self.defaultDraft = defaultDraft
    }

    /// The draft and vocabulary a `$schema` names: a known draft, or a given meta-schema that names one
    /// and lists its vocabularies.
    private func dialect(_ uri: String, inherited: (JSONSchemaDraft, Bool)) -> (JSONSchemaDraft, Bool) {
        if let named = JSONSchemaDraft(metaSchemaURI: uri) { return (named, true) }
        guard case .object(let meta)? = given[URIReference(uri).base] else { return inherited }
        let draft = meta["$schema"]?.stringValue.flatMap { JSONSchemaDraft(metaSchemaURI: $0) } ?? inherited.0
        guard case .object(let vocabularies)? = meta["$vocabulary"] else { return (draft, inherited.1) }
        return (draft, vocabularies.keys.contains { $0.hasSuffix("/vocab/validation") })
    }

    /// Registers a document under its retrieval URI and scans it; returns its draft.
    @discardableResult
    package mutating func add(document uri: String, _ value: JSONValue) throws(JSONSchemaError) -> JSONSchemaDraft {
        documents[uri] = value
        var draft = defaultDraft
        if case .object(let object) = value, let text = object["$schema"]?.stringValue { draft = dialect(text, inherited: (draft, true)).0 }
        let root = Location(document: uri, pointer: "")
        if resources[uri] == nil { resources[uri] = (root, draft) }
        try scan(value, at: root, base: uri, draft: draft, validates: true, depth: 0)
        return draft
    }

    private mutating func scan(
        _ value: JSONValue, at location: Location, base: String, draft: JSONSchemaDraft, validates: Bool, depth: Int
    ) throws(JSONSchemaError) {
        guard depth < 512 else { throw JSONSchemaError("subschemas nest more than 512 deep", at: location.text) }
        guard case .object(let object) = value else {
            if scopes[location] == nil { scopes[location] = Scope(base: base, draft: draft, validates: validates) }
            return
        }
        var base = base
        var draft = draft
        var validates = validates
        if let text = object["$schema"]?.stringValue { (draft, validates) = dialect(text, inherited: (draft, validates)) }
        let ignoresSiblings = draft.refOverridesSiblings && object["$ref"] != nil
        if !ignoresSiblings, let id = object[draft.idKeyword]?.stringValue {
            let resolved = URIReference(base: base, fragment: nil).resolving(id)
            if draft <= .draft7 && id.hasPrefix("#") {
                anchors["\(base)#\(resolved.fragment ?? "")"] = location
            } else {
                base = resolved.base
                resources[base] = (location, draft)
                if draft <= .draft7, let fragment = resolved.fragment, !fragment.isEmpty { anchors["\(base)#\(fragment)"] = location }
            }
        }
        if draft >= .draft2019_09, let anchor = object["$anchor"]?.stringValue { anchors["\(base)#\(anchor)"] = location }
        if draft >= .draft2020_12, let anchor = object["$dynamicAnchor"]?.stringValue {
            anchors["\(base)#\(anchor)"] = location
            dynamicAnchors[base, default: [:]][anchor] = location
        }
        if draft == .draft2019_09, object["$recursiveAnchor"] == .bool(true), resources[base]?.location == location {
            recursiveAnchors.insert(base)
        }
        scopes[location] = Scope(base: base, draft: draft, validates: validates)
        for (key, child) in object {
            guard let shape = draft.subschemaShape(key) else { continue }
            let here = location.pointer + "/" + JSONPointer.escape(key)
            func at(_ suffix: String) -> Location { Location(document: location.document, pointer: here + suffix) }
            switch (shape, child) {
            case (.single, _), (.singleOrArray, .object), (.singleOrArray, .bool):
                try scan(child, at: at(""), base: base, draft: draft, validates: validates, depth: depth + 1)
            case (.array, .array(let items)), (.singleOrArray, .array(let items)):
                for (i, item) in items.enumerated() {
                    try scan(item, at: at("/\(i)"), base: base, draft: draft, validates: validates, depth: depth + 1)
                }
            case (.map, .object(let members)), (.mapOfSchemaOrStrings, .object(let members)):
                for (name, item) in members {
                    if case .array = item { continue }
                    try scan(item, at: at("/" + JSONPointer.escape(name)), base: base, draft: draft, validates: validates, depth: depth + 1)
                }
            default: continue
            }
        }
    }

    package func value(at location: Location) -> JSONValue? {
        guard var value = documents[location.document], let tokens = JSONPointer.tokens(location.pointer, fragment: false) else {
            return nil
        }
        for token in tokens {
            switch value {
            case .object(let object):
                guard let next = object[token] else { return nil }
                value = next
            case .array(let items):
                guard let i = Int(token), token == String(i), items.indices.contains(i) else { return nil }
                value = items[i]
            default: return nil
            }
        }
        return value
    }

    /// The scope of a location the scan did not reach (inside an unknown keyword, say): the nearest
    /// scanned ancestor's, after scanning the location itself.
    package mutating func scope(of location: Location) throws(JSONSchemaError) -> Scope {
        if let known = scopes[location] { return known }
        var pointer = location.pointer
        var ancestor: Scope?
        while ancestor == nil, let slash = pointer.lastIndex(of: "/") {
            pointer = String(pointer[..<slash])
            ancestor = scopes[Location(document: location.document, pointer: pointer)]
        }
        let inherited = ancestor ?? Scope(base: location.document, draft: defaultDraft)
        if let value = value(at: location) {
            try scan(value, at: location, base: inherited.base, draft: inherited.draft, validates: inherited.validates, depth: 0)
        }
        return scopes[location] ?? inherited
    }

    /// The location a reference names, loading a given document or bundled meta-schema when needed.
    mutating func resolve(_ reference: URIReference, from: Location) throws(JSONSchemaError) -> Location {
        if resources[reference.base] == nil {
            if let document = given[reference.base] {
                try add(document: reference.base, document)
            } else if let text = MetaSchemas.byURI[Self.metaSchemaKey(reference.base)] {
                do {
                    try add(document: reference.base, try JSONReader.parse(text))
                } catch {
                    throw JSONSchemaError("the bundled meta-schema \(reference.base) does not parse: \(error)", at: from.text)
                }
            }
        }
        guard let resource = resources[reference.base] else {
            throw JSONSchemaError("cannot resolve $ref '\(reference)': no schema has that URI", at: from.text)
        }
        guard let fragment = reference.fragment, !fragment.isEmpty else { return resource.location }
        if fragment.hasPrefix("/") || fragment.hasPrefix("%2F") || fragment.hasPrefix("%2f") {
            guard let tokens = JSONPointer.tokens(fragment, fragment: true) else {
                throw JSONSchemaError("$ref '\(reference)' has an invalid JSON pointer", at: from.text)
            }
            let target = Location(
                document: resource.location.document,
                pointer: resource.location.pointer + tokens.map { "/" + JSONPointer.escape($0) }.joined())
            guard value(at: target) != nil else {
                throw JSONSchemaError("cannot resolve $ref '\(reference)': nothing at that pointer", at: from.text)
            }
            return target
        }
        guard let anchor = anchors["\(reference.base)#\(fragment)"] else {
            throw JSONSchemaError("cannot resolve $ref '\(reference)': no anchor '\(fragment)' in \(reference.base)", at: from.text)
        }
        return anchor
    }

    /// A meta-schema's URI as the bundle keys it (no trailing `#`, `https` for 2019-09 and 2020-12).
    static func metaSchemaKey(_ uri: String) -> String {
        var key = uri
        if key.hasPrefix("http://json-schema.org/draft/") { key = "https://" + key.dropFirst("http://".count) }
        if key.hasPrefix("https://json-schema.org/draft-") { key = "http://" + key.dropFirst("https://".count) }
        return key
    }

    /// Where the `$ref` text `reference`, written in the schema at `location`, points.
    package mutating func resolve(reference: String, at location: Location) throws(JSONSchemaError) -> Location {
        let base = try scope(of: location).base
        return try resolve(URIReference(base: base, fragment: nil).resolving(reference), from: location)
    }

    /// The document (absolute URI, no fragment) a `$ref` text names when written under `base`.
    package static func documentURI(of reference: String, base: String) -> String {
        URIReference(base: base, fragment: nil).resolving(reference).base
    }
}
