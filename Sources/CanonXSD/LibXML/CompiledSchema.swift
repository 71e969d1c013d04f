import CLibXML2

/// An XML Schema compiled by libxml2 (`xmlSchemaParse`), to validate documents with.
///
/// `@unchecked Sendable`: libxml2 never modifies a compiled schema after `xmlSchemaParse`; each
/// validation makes its own validation context (with its own dictionary) that only reads it, which is
/// how lxml validates with one schema on many threads.
public final class CompiledSchema: @unchecked Sendable {
    private let schema: xmlSchemaPtr
    /// The schema's document: the compiled components point into it.
    private let document: XMLDocument

    /// Compiles `text`, reading `xs:include`/`xs:import`/`xs:redefine` only from `references` (by
    /// `schemaLocation`).
    public convenience init(text: String, references: [String: String] = [:], limits: XMLLimits = .default) throws(XSDError) {
        let documents = try SchemaDocuments(text: text, references: references, limits: limits)
        try self.init(document: documents.document, references: documents.referenceBytes)
    }

    init(document: XMLDocument, references: [String: [UInt8]]) throws(XSDError) {
        let resolver = ResourceResolver(documents: references)
        let collector = ErrorCollector()
        let compiled: xmlSchemaPtr? = LibXML.withResolver(resolver) {
            guard let context = xmlSchemaNewDocParserCtxt(document.pointer) else { return nil }
            defer { xmlSchemaFreeParserCtxt(context) }
            let box = Unmanaged.passRetained(collector)
            defer { box.release() }
            xmlSchemaSetParserStructuredErrors(context, LibXML.collectError, box.toOpaque())
            return xmlSchemaParse(context)
        }
        if let refused = resolver.refused.first {
            if let compiled { xmlSchemaFree(compiled) }
            throw XSDError(
                "schemaLocation \"\(refused)\" is not one of the schema's references (a reference's name is the schemaLocation it serves)")
        }
        guard let compiled, collector.errors.isEmpty else {
            if let compiled { xmlSchemaFree(compiled) }
            guard var first = collector.errors.first else { throw XSDError("libxml2 could not compile the schema") }
            // Every error, each with where it is.
            let more = collector.errors.dropFirst().map(\.description) + (collector.dropped > 0 ? ["\(collector.dropped) more"] : [])
            if !more.isEmpty { first.message += " (and: " + more.joined(separator: "; ") + ")" }
            throw first
        }
        self.schema = compiled
        self.document = document
    }

    deinit { xmlSchemaFree(schema) }

    /// The errors that make `document` invalid, in document order (the first `limit`); empty when it is valid.
    func validate(_ document: XMLDocument, limit: Int) -> [XSDError] {
        LibXML.prepareThread()
        guard let context = xmlSchemaNewValidCtxt(schema) else { return [XSDError("libxml2 could not make a validator (out of memory)")] }
        defer { xmlSchemaFreeValidCtxt(context) }
        let collector = ErrorCollector(limit: limit)
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        xmlSchemaSetValidStructuredErrors(context, LibXML.collectError, box.toOpaque())
        let result = xmlSchemaValidateDoc(context, document.pointer)
        if result == 0 { return [] }
        return collector.errors.isEmpty ? [XSDError("the document is not valid (libxml2 error \(result))")] : collector.errors
    }

    /// Parses `bytes` securely and validates the document; throws the first error (parse or validity).
    public func validate(_ bytes: [UInt8], limits: XMLLimits = .default) throws(XSDError) {
        try validate(bytes[...], limits: limits)
    }

    /// Parses `bytes` (read in place) securely and validates the document; throws the first error.
    public func validate(_ bytes: ArraySlice<UInt8>, limits: XMLLimits = .default) throws(XSDError) {
        let document = try LibXML.parse(bytes, name: nil, limits: limits)
        if let first = validate(document, limit: 1).first { throw first }
    }

    /// The validity errors of `bytes`, the first `limit` of them (parse errors throw).
    public func validityErrors(_ bytes: [UInt8], limits: XMLLimits = .default, limit: Int = 100) throws(XSDError) -> [XSDError] {
        validate(try LibXML.parse(bytes, name: nil, limits: limits), limit: limit)
    }
}

extension XMLDocument {
    /// The document's identity: its canonical XML (C14N 1.0, no comments) after whitespace-only text
    /// in element content is removed, so indentation and attribute order do not change it.
    /// Modifies the tree: call it on a document of its own.
    func canonicalText() -> String {
        Self.strip(root)
        var output: UnsafeMutablePointer<xmlChar>?
        let length = xmlC14NDocDumpMemory(pointer, nil, Int32(XML_C14N_1_0.rawValue), nil, 0, &output)
        guard length >= 0, let output else { return "" }
        defer { LibXML.free(output) }
        return String(decoding: UnsafeBufferPointer(start: output, count: Int(length)), as: UTF8.self)
    }

    /// Removes comments, and whitespace-only text from elements that have element children.
    private static func strip(_ element: xmlNodePtr) {
        var hasElements = false
        var child = element.pointee.children
        while let node = child {
            if node.pointee.type == XML_ELEMENT_NODE { hasElements = true }
            child = node.pointee.next
        }
        child = element.pointee.children
        while let node = child {
            child = node.pointee.next
            let remove: Bool
            switch node.pointee.type {
            case XML_COMMENT_NODE: remove = true
            case XML_TEXT_NODE: remove = hasElements && xmlIsBlankNode(node) != 0
            case XML_ELEMENT_NODE:
                strip(node)
                remove = false
            default: remove = false
            }
            if remove {
                xmlUnlinkNode(node)
                xmlFreeNode(node)
            }
        }
    }

    /// The document as a tree of Swift values (elements, their attributes, text and in-scope namespaces).
    func tree() -> XMLElement { XMLElement(root, inherited: [:]) }
}

/// A schema's document and its references, each parsed once (securely, within the limits) and their
/// shape checked: what libxml2 compiles and what the compatibility model reads.
struct SchemaDocuments {
    /// The schema, for libxml2 to compile.
    let document: XMLDocument
    let root: XMLElement
    /// The references' bytes, as the loader serves them, and their trees, by `schemaLocation`.
    let referenceBytes: [String: [UInt8]]
    let referenceTrees: [String: XMLElement]

    init(text: String, references: [String: String], limits: XMLLimits) throws(XSDError) {
        var bytes: [String: [UInt8]] = [:]
        var trees: [String: XMLElement] = [:]
        for (name, text) in references {
            // What the loader serves is held to the same rules as the schema (no DTD, the limits).
            bytes[name] = Array(text.utf8)
            trees[name] = try LibXML.parse(bytes[name]!, name: name, limits: limits).tree()
        }
        document = try LibXML.parse(Array(text.utf8), name: nil, limits: limits)
        root = document.tree()
        try SchemaShape.check(Array(trees.values) + [root], limits: limits)
        referenceBytes = bytes
        referenceTrees = trees
    }
}

/// The shape of a schema and what it includes, checked before libxml2 compiles it: within
/// ``XMLLimits/maxComponents`` top-level components, chains of references within
/// ``XMLLimits/maxReferenceDepth``, and no `xml:base` (which would change where libxml2 looks for
/// includes).
enum SchemaShape {
    static func check(_ documents: [XMLElement], limits: XMLLimits) throws(XSDError) {
        // Each top-level component (by local name: enough to bound chains) and the names it uses.
        var uses: [String: Set<String>] = [:]
        var count = 0
        for root in documents {
            for component in root.children where component.namespace == xsNamespace {
                count += 1
                guard count <= limits.maxComponents else {
                    throw XSDError("the schema has more than \(limits.maxComponents) top-level components (the limit)", isLimit: true)
                }
                guard let name = component.attributes["name"] else { continue }
                var names = uses[name, default: []]
                var stack = [component]
                while let element = stack.popLast() {
                    if element.attributes["{http://www.w3.org/XML/1998/namespace}base"] != nil {
                        throw XSDError(
                            "xml:base is not allowed in a schema (included documents are found by schemaLocation only)", line: element.line)
                    }
                    for key in ["base", "type", "itemType", "ref", "substitutionGroup", "refer"] {
                        if let value = element.attributes[key] { names.insert(local(value)) }
                    }
                    for value in (element.attributes["memberTypes"] ?? "").split(separator: " ") { names.insert(local(String(value))) }
                    stack.append(contentsOf: element.children)
                }
                uses[name] = names
            }
        }
        // The longest chain, without recursion (a cycle counts once; libxml2 reports it).
        var depth: [String: Int] = [:]
        for start in uses.keys where depth[start] == nil {
            var stack: [(name: String, expanded: Bool)] = [(start, false)]
            var onPath = Set<String>()
            while let (name, expanded) = stack.popLast() {
                if expanded {
                    onPath.remove(name)
                    let longest = (uses[name] ?? []).compactMap { depth[$0] }.max() ?? 0
                    depth[name] = longest + 1
                    if longest + 1 > limits.maxReferenceDepth {
                        throw XSDError(
                            "the schema's components name each other more than \(limits.maxReferenceDepth) deep (at \(name)); the limit",
                            isLimit: true)
                    }
                    continue
                }
                guard depth[name] == nil, uses[name] != nil, onPath.insert(name).inserted else { continue }
                stack.append((name, true))
                for next in uses[name] ?? [] where depth[next] == nil && !onPath.contains(next) { stack.append((next, false)) }
            }
        }
    }

    private static func local(_ qname: String) -> String {
        let trimmed = qname.trimmingXMLWhitespace()
        return trimmed.firstIndex(of: ":").map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
    }
}

/// An element of a parsed document, as a value.
struct XMLElement: Sendable {
    /// Whether `other` has the same name, attributes, text, in-scope namespaces and children (lines aside).
    func sameContent(as other: XMLElement) -> Bool {
        namespace == other.namespace && name == other.name && attributes == other.attributes && text == other.text
            && namespaces == other.namespaces && children.count == other.children.count
            && zip(children, other.children).allSatisfy { $0.sameContent(as: $1) }
    }

    /// Its namespace URI; nil when it has none.
    var namespace: String?
    var name: String
    /// Unqualified attributes by name; qualified ones as `{namespace}name`.
    var attributes: [String: String]
    var children: [XMLElement]
    /// Its text children, concatenated.
    var text: String
    /// Prefix (`""` for the default) to namespace URI, in scope here.
    var namespaces: [String: String]
    var line: Int

    init(_ node: xmlNodePtr, inherited: [String: String]) {
        var namespaces = inherited
        var definition = node.pointee.nsDef
        while let ns = definition {
            namespaces[LibXML.string(ns.pointee.prefix) ?? ""] = LibXML.string(ns.pointee.href) ?? ""
            definition = ns.pointee.next
        }
        self.namespaces = namespaces
        self.namespace = node.pointee.ns.flatMap { LibXML.string($0.pointee.href) }
        self.name = LibXML.string(node.pointee.name) ?? ""
        self.line = Int(xmlGetLineNo(node))
        var attributes: [String: String] = [:]
        var attribute = node.pointee.properties
        while let a = attribute {
            let local = LibXML.string(a.pointee.name) ?? ""
            let key = a.pointee.ns.flatMap { LibXML.string($0.pointee.href) }.map { "{\($0)}\(local)" } ?? local
            attributes[key] = LibXML.take(xmlNodeListGetString(node.pointee.doc, a.pointee.children, 1)) ?? ""
            attribute = a.pointee.next
        }
        self.attributes = attributes
        var children: [XMLElement] = []
        var text = ""
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE {
                children.append(XMLElement(c, inherited: namespaces))
            } else if c.pointee.type == XML_TEXT_NODE, let content = LibXML.string(c.pointee.content) {
                text += content
            }
            child = c.pointee.next
        }
        self.children = children
        self.text = text
    }
}
