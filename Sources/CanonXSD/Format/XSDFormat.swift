import CanonCore

extension SchemaType {
    /// XML Schema: a Canon extension (Confluent's registry has no XML format; Apicurio names it `XSD`).
    public static let xsd = SchemaType(rawValue: "XSD")
}

/// XML Schema as a ``SchemaFormat``: schemas compiled by libxml2, references served to `xs:include`,
/// `xs:import` and `xs:redefine` by their `schemaLocation` (a reference's name), payloads parsed
/// securely (no DTD, no network) and validated by libxml2.
public struct XSDFormat: SchemaFormat {
    /// Limits on each schema document and each record.
    public var limits: XMLLimits

    public init(limits: XMLLimits = .default) {
        self.limits = limits
    }

    public var type: SchemaType { .xsd }
    /// Its name in REST produce bodies (`{"type": "XML", …}`).
    public var restProxyName: String { "XML" }

    public func makeParser() -> any SchemaParser { Parser(limits: limits) }

    public func incompatibilities(
        reader: any ParsedSchema, writer: any ParsedSchema, readerRole: SchemaRole, budget: Int, policy: CompatibilityPolicy?
    ) throws -> [CompatibilityMessage] {
        guard let reader = reader as? XSDParsedSchema, let writer = writer as? XSDParsedSchema else {
            throw XSDError("an XML schema can only be compared with another XML schema")
        }
        return try XSDCompatibility.incompatibilities(reader: reader, writer: writer, readerRole: readerRole, budget: budget)
    }

    /// Loads references (checked as securely as the schema) and compiles schemas with them.
    struct Parser: SchemaParser {
        var limits: XMLLimits
        var references: [String: String] = [:]

        mutating func load(reference name: String, schema text: String, origin: String) throws {
            do {
                _ = try LibXML.parse(Array(text.utf8), name: name, limits: limits)
            } catch {
                throw XSDError("\(origin) (reference \(name)): \(error.description)")
            }
            references[name] = text
        }

        func parse(_ text: String) throws -> any ParsedSchema {
            try XSDParsedSchema(text: text, references: references, limits: limits)
        }
    }
}

/// A compiled XML Schema as a ``ParsedSchema``.
public struct XSDParsedSchema: ParsedSchema {
    /// The schema as registered.
    public let text: String
    /// The referenced schemas, by `schemaLocation`.
    public let references: [String: String]
    /// libxml2's compiled schema, shared by every validator made from it.
    public let compiled: CompiledSchema
    let components: SchemaComponents
    let limits: XMLLimits
    public let canonicalText: String

    init(text: String, references: [String: String], limits: XMLLimits) throws(XSDError) {
        self.text = text
        self.references = references
        self.limits = limits
        let documents = try SchemaDocuments(text: text, references: references, limits: limits)
        // libxml2 first: its errors say best what is wrong with a schema.
        compiled = try CompiledSchema(document: documents.document, references: documents.referenceBytes)
        components = try SchemaComponents(root: documents.root, references: documents.referenceTrees)
        // A copy of its own: the canonical form strips the tree it reads.
        canonicalText = try LibXML.parse(Array(text.utf8), name: nil, limits: limits).canonicalText()
    }

    public var type: SchemaType { .xsd }
    /// The canonical text already ignores formatting, comments and attribute order.
    public var normalizedText: String { canonicalText }
    /// The schema as registered (`xs:include` and `xs:import` stay references).
    public var resolvedText: String { text }
    /// The first global element, as `{namespace}name` in a namespace.
    public var recordName: String? { components.elementOrder.first?.description }

    public func makeValidator() -> any PayloadValidator { XMLPayloadValidator(schema: compiled, limits: limits) }

    /// A JSON string holding the XML document, validated.
    public func encode(json: JSONValue) throws -> [UInt8] {
        guard let text = json.stringValue else {
            throw XSDError("an XML record is given as a JSON string holding the document, not \(json.typeName)")
        }
        let bytes = Array(text.utf8)
        try XMLPayloadValidator(schema: compiled, limits: limits).validatePayload(bytes, from: 0, limits: .default)
        return bytes
    }

    /// The document as a JSON string.
    public func decodeJSON(_ bytes: [UInt8], from start: Int, limits: PayloadLimits) throws(PayloadError) -> JSONValue {
        guard bytes.count - start <= limits.maxTotalSize else {
            throw PayloadError(message: "\(bytes.count - start) bytes of XML exceed the limit of \(limits.maxTotalSize)", isLimit: true)
        }
        guard let text = String(validating: bytes[start...], as: UTF8.self) else {
            throw PayloadError(message: "the XML record is not UTF-8 text")
        }
        return .string(text)
    }
}

/// `full` for XML payloads: a secure parse, then libxml2's validation against the writer's schema.
struct XMLPayloadValidator: PayloadValidator {
    let schema: CompiledSchema
    let limits: XMLLimits

    func validatePayload(_ bytes: [UInt8], from start: Int, limits payloadLimits: PayloadLimits) throws(PayloadError) {
        var limits = self.limits
        limits.maxBytes = min(limits.maxBytes, payloadLimits.maxTotalSize)
        do {
            try schema.validate(bytes[start...], limits: limits)
        } catch {
            var place: [String] = []
            if let line = error.line { place.append("line \(line)") }
            if let column = error.column { place.append("column \(column)") }
            if let path = error.path { place.append("element \(path)") }
            let message = place.isEmpty ? error.message : "\(place.joined(separator: ", ")): \(error.message)"
            throw PayloadError(message: message, path: error.path, isLimit: error.isLimit)
        }
    }
}

extension XSDFormat {
    /// Parses a schema file's `text` with the documents its `xs:include`, `xs:import` and `xs:redefine`
    /// name (and theirs, transitively) loaded as references: `read` gets each `schemaLocation` and
    /// returns that document's text (the CLI reads files beside the schema; the registry never calls
    /// this: its references are registered subjects).
    public func parse(file text: String, reading read: (String) throws -> String) throws -> XSDParsedSchema {
        var parser = Parser(limits: limits)
        var pending = try Self.schemaLocations(in: text, limits: limits)
        var loaded = Set<String>()
        while let location = pending.first {
            pending.removeFirst()
            guard loaded.insert(location).inserted else { continue }
            let included = try read(location)
            try parser.load(reference: location, schema: included, origin: location)
            pending += try Self.schemaLocations(in: included, limits: limits)
        }
        return try XSDParsedSchema(text: text, references: parser.references, limits: limits)
    }

    /// The `schemaLocation`s a schema document includes, imports or redefines.
    static func schemaLocations(in text: String, limits: XMLLimits) throws(XSDError) -> [String] {
        let root = try LibXML.parse(Array(text.utf8), name: nil, limits: limits).tree()
        return root.children.filter { $0.namespace == xsNamespace && ["include", "import", "redefine"].contains($0.name) }
            .compactMap { $0.attributes["schemaLocation"] }
    }

    /// Validates one XML document (`bytes`) against `schema`; every validity error, in document order
    /// (a document that is not well-formed or breaks a limit throws).
    public static func validityErrors(of bytes: [UInt8], against schema: XSDParsedSchema) throws(XSDError) -> [XSDError] {
        try schema.compiled.validityErrors(bytes, limits: schema.limits)
    }
}
