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
        var checked: [String: [UInt8]] = [:]
        for (name, text) in references {
            let bytes = Array(text.utf8)
            // What the loader serves is held to the same rules as the schema (no DTD, the limits).
            _ = try LibXML.parse(bytes, name: name, limits: limits)
            checked[name] = bytes
        }
        try self.init(document: LibXML.parse(Array(text.utf8), name: nil, limits: limits), references: checked)
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
            throw collector.errors.first ?? XSDError("libxml2 could not compile the schema")
        }
        self.schema = compiled
        self.document = document
    }

    deinit { xmlSchemaFree(schema) }

    /// The errors that make `document` invalid, in document order; empty when it is valid.
    func validate(_ document: XMLDocument) -> [XSDError] {
        LibXML.prepareThread()
        guard let context = xmlSchemaNewValidCtxt(schema) else { return [XSDError("libxml2 could not make a validator (out of memory)")] }
        defer { xmlSchemaFreeValidCtxt(context) }
        let collector = ErrorCollector()
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
        if let first = validate(document).first { throw first }
    }

    /// Every validity error of `bytes` (parse errors throw).
    public func validityErrors(_ bytes: [UInt8], limits: XMLLimits = .default) throws(XSDError) -> [XSDError] {
        validate(try LibXML.parse(bytes, name: nil, limits: limits))
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

/// An element of a parsed document, as a value.
struct XMLElement: Sendable {
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
