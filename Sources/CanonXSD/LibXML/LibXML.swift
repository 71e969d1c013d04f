import CLibXML2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What is wrong with an XML document or an XML Schema, and where.
public struct XSDError: Error, Sendable, Hashable, CustomStringConvertible {
    /// libxml2's message (or Canon's), without a trailing newline.
    public var message: String
    /// The document it is in, when not the one given: a reference's name.
    public var file: String?
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known (libxml2 knows it for parse errors, not for validity errors).
    public var column: Int?
    /// The element it is about, as an XPath (`/order/item[2]/price`), for validity errors.
    public var path: String?
    /// Whether a limit stopped the work (the document may be valid).
    public var isLimit: Bool

    public init(
        _ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil, path: String? = nil, isLimit: Bool = false
    ) {
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.isLimit = isLimit
    }

    public var description: String {
        var place: [String] = []
        if let file { place.append(file) }
        if let line { place.append("line \(line)") }
        if let column { place.append("column \(column)") }
        if let path { place.append("element \(path)") }
        return place.isEmpty ? message : "\(place.joined(separator: ", ")): \(message)"
    }
}

/// Limits on one XML document (a schema or a record), on top of libxml2's own: no DTD at all (so no
/// entity can be declared, expanded or fetched), no network, nesting at most 256 deep (libxml2's
/// limit without `XML_PARSE_HUGE`), and text nodes of at most 10 MB.
public struct XMLLimits: Sendable, Hashable {
    /// The largest document, in bytes. Default 16 MiB.
    public var maxBytes: Int
    /// Most top-level components (types, elements, groups, attributes) in a schema and the documents
    /// it includes and imports. Default 10,000.
    public var maxComponents: Int
    /// The longest chain of components naming each other (a type derived from a type derived from …,
    /// an element of a type whose element is of a type …). Default 128: libxml2 compiles such chains
    /// recursively (60,000 links crash it) and in quadratic time.
    public var maxReferenceDepth: Int

    public init(maxBytes: Int = 16 << 20, maxComponents: Int = 10_000, maxReferenceDepth: Int = 128) {
        self.maxBytes = maxBytes
        self.maxComponents = maxComponents
        self.maxReferenceDepth = maxReferenceDepth
    }

    /// The defaults above.
    public static let `default` = XMLLimits()
}

/// Canon's one door to libxml2. Every call into the library goes through here, so that:
/// - the library is initialized once, and its process-global external entity loader is Canon's, once;
/// - each thread's structured error handler is silenced before use (libxml2 2.9 keeps error handlers
///   per thread; errors are collected per call through the contexts' own handlers instead);
/// - a schema's `xs:include`/`xs:import`/`xs:redefine` are read only from the registry's references:
///   libxml2 2.9 has no per-context resource loader, so the global loader reads the current thread's
///   ``ResourceResolver``, which ``withResolver(_:_:)`` sets around the libxml2 call. That call is
///   synchronous (no `await` can come between setting the resolver and the call), so the thread it
///   was set on is the thread libxml2 calls the loader on. Without a resolver the loader refuses
///   everything: libxml2 never reads a file or the network on Canon's behalf.
enum LibXML {
    /// Initializes the library and installs the loader, once per process.
    private static let initialized: Bool = {
        xmlInitParser()
        xmlSetExternalEntityLoader(loadEntity)
        return true
    }()

    /// The thread-local slot of the current ``ResourceResolver``.
    private static let resolverKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Call before any libxml2 call on the current thread.
    static func prepareThread() {
        precondition(initialized)
        xmlSetStructuredErrorFunc(nil, ignoreError)
    }

    /// Runs `body` (synchronous libxml2 work) with `resolver` answering the loader on this thread.
    static func withResolver<T, E: Error>(_ resolver: ResourceResolver, _ body: () throws(E) -> T) throws(E) -> T {
        prepareThread()
        let previous = pthread_getspecific(resolverKey)
        let box = Unmanaged.passRetained(resolver)
        pthread_setspecific(resolverKey, box.toOpaque())
        defer {
            pthread_setspecific(resolverKey, previous)
            box.release()
        }
        return try body()
    }

    /// The loader libxml2 calls for every external resource (schema documents, DTDs, entities).
    private static let loadEntity: xmlExternalEntityLoader = { url, _, context in
        guard let raw = pthread_getspecific(LibXML.resolverKey) else { return nil }
        let resolver = Unmanaged<ResourceResolver>.fromOpaque(raw).takeUnretainedValue()
        let name = url.map { String(cString: $0) } ?? ""
        guard let bytes = resolver.documents[name] else {
            resolver.refused.append(name)
            return nil
        }
        let buffer = bytes.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                // Copies the bytes (libxml2 2.9 appends them to the buffer).
                xmlParserInputBufferCreateMem($0.baseAddress, Int32(bytes.count), XML_CHAR_ENCODING_NONE)
            }
        }
        guard let buffer else { return nil }
        guard let input = xmlNewIOInputStream(context, buffer, XML_CHAR_ENCODING_NONE) else {
            xmlFreeParserInputBuffer(buffer)
            return nil
        }
        // No file name: libxml2 would take it as the included document's URL and resolve that document's
        // own schemaLocations against it ("a/b.xsd" including "c.xsd" would ask for "a/c.xsd"); without
        // one every location is looked up as written, as the references name them.
        return input
    }

    private static let ignoreError: xmlStructuredErrorFunc = { _, _ in }

    /// The parser options for every document: no network, CDATA as text. Entities are not substituted
    /// and no DTD is loaded (and a document with a DTD is refused before its declarations are read).
    static let parseOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_BIG_LINES.rawValue)

    /// Parses `bytes` as a well-formed XML document without a DTD, within `limits`.
    static func parse(_ bytes: [UInt8], name: String?, limits: XMLLimits) throws(XSDError) -> XMLDocument {
        try parse(bytes[...], name: name, limits: limits)
    }

    /// Parses `bytes` (read in place) as a well-formed XML document without a DTD, within `limits`.
    static func parse(_ bytes: ArraySlice<UInt8>, name: String?, limits: XMLLimits) throws(XSDError) -> XMLDocument {
        guard bytes.count <= limits.maxBytes, bytes.count < Int(Int32.max) else {
            throw XSDError("the document is \(bytes.count) bytes; the limit is \(limits.maxBytes)", file: name, isLimit: true)
        }
        prepareThread()
        guard let context = xmlNewParserCtxt() else { throw XSDError("libxml2 could not make a parser (out of memory)") }
        defer { xmlFreeParserCtxt(context) }
        let collector = ErrorCollector()
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        context.pointee._private = box.toOpaque()
        context.pointee.sax.pointee.internalSubset = refuseDTD
        context.pointee.sax.pointee.serror = collectParserError
        let document = bytes.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                xmlCtxtReadMemory(context, $0.baseAddress, Int32(bytes.count), name, nil, parseOptions)
            }
        }
        if let refused = collector.refusedDTD {
            if let document { xmlFreeDoc(document) }
            throw XSDError(
                "documents with a DTD (<!DOCTYPE …>) are refused: their entities could read files or expand without bound",
                file: name, line: refused)
        }
        guard let document else {
            throw collector.errors.first ?? XSDError("the document is not well-formed XML", file: name)
        }
        guard xmlDocGetRootElement(document) != nil else {
            xmlFreeDoc(document)
            throw XSDError("the document has no root element", file: name)
        }
        return XMLDocument(document)
    }

    /// The parser's SAX handler for `<!DOCTYPE`: stops the parse before the declarations are read.
    private static let refuseDTD: internalSubsetSAXFunc = { context, _, _, _ in
        guard let context else { return }
        let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
        if let raw = parser.pointee._private {
            Unmanaged<ErrorCollector>.fromOpaque(raw).takeUnretainedValue().refusedDTD = Int(xmlSAX2GetLineNumber(context))
        }
        xmlStopParser(parser)
    }

    /// The parser's structured error handler (its data is the parser context).
    private static let collectParserError: xmlStructuredErrorFunc = { context, error in
        guard let context, let error else { return }
        let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
        guard let raw = parser.pointee._private else { return }
        Unmanaged<ErrorCollector>.fromOpaque(raw).takeUnretainedValue().add(error.pointee)
    }

    /// A schema or validation context's structured error handler (its data is an ``ErrorCollector``).
    static let collectError: xmlStructuredErrorFunc = { data, error in
        guard let data, let error else { return }
        Unmanaged<ErrorCollector>.fromOpaque(data).takeUnretainedValue().add(error.pointee)
    }

    /// Frees what libxml2 allocated. libxml2's `xmlFree` is a global function pointer (Swift cannot
    /// read it safely); it is C's `free` unless `xmlMemSetup` changes it, which Canon never calls.
    static func free(_ pointer: UnsafeMutableRawPointer?) {
        #if canImport(Glibc)
            Glibc.free(pointer)
        #else
            Darwin.free(pointer)
        #endif
    }

    /// Whether `value` matches the XML Schema regular expression `pattern` (anchored, as a `xs:pattern`
    /// facet); nil when libxml2 cannot compile the pattern.
    static func matches(pattern: String, _ value: String) -> Bool? {
        prepareThread()
        let regex = pattern.withCString { xmlRegexpCompile(UnsafeRawPointer($0).assumingMemoryBound(to: xmlChar.self)) }
        guard let regex else { return nil }
        defer { xmlRegFreeRegexp(regex) }
        let result = value.withCString { xmlRegexpExec(regex, UnsafeRawPointer($0).assumingMemoryBound(to: xmlChar.self)) }
        return result < 0 ? nil : result == 1
    }

    /// A libxml2 string as a Swift one.
    static func string(_ pointer: UnsafePointer<xmlChar>?) -> String? {
        pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    /// A libxml2-allocated string as a Swift one, freed.
    static func take(_ pointer: UnsafeMutablePointer<xmlChar>?) -> String? {
        guard let pointer else { return nil }
        defer { LibXML.free(pointer) }
        return string(pointer)
    }
}

/// The registry's references of one schema, as the loader serves them (by the URL libxml2 resolves
/// a `schemaLocation` to: with no base URL, the location itself), and what was asked for and refused.
final class ResourceResolver {
    let documents: [String: [UInt8]]
    var refused: [String] = []

    init(documents: [String: [UInt8]]) {
        self.documents = documents
    }
}

/// Errors libxml2 reports during one call, in order: the first `limit` in full, the rest counted (a
/// hostile record can have millions, and each one's element path costs a walk of its siblings).
final class ErrorCollector {
    var errors: [XSDError] = []
    var warnings: [XSDError] = []
    /// Errors past the limit, counted only.
    var dropped = 0
    let limit: Int
    /// The line of a refused `<!DOCTYPE`.
    var refusedDTD: Int?

    init(limit: Int = 20) {
        self.limit = limit
    }

    func add(_ error: xmlError) {
        if error.level != XML_ERR_WARNING && errors.count >= limit {
            dropped += 1
            return
        }
        var message = LibXML.string(UnsafeRawPointer(error.message)?.assumingMemoryBound(to: xmlChar.self)) ?? "error \(error.code)"
        while message.last?.isWhitespace == true { message.removeLast() }
        var path: String?
        var line = error.line > 0 ? Int(error.line) : nil
        if let node = error.node {
            let node = node.assumingMemoryBound(to: xmlNode.self)
            if node.pointee.type == XML_ELEMENT_NODE || node.pointee.type == XML_ATTRIBUTE_NODE {
                path = LibXML.take(xmlGetNodePath(node))
                if line == nil, xmlGetLineNo(node) > 0 { line = Int(xmlGetLineNo(node)) }
            }
        }
        let file = error.file.map { String(cString: $0) }
        let entry = XSDError(message, file: file, line: line, column: error.int2 > 0 ? Int(error.int2) : nil, path: path)
        if error.level == XML_ERR_WARNING { warnings.append(entry) } else { errors.append(entry) }
    }
}

/// A parsed document, freed with the value.
///
/// `@unchecked Sendable`: a document is only read after parsing (C14N, the tree walk, validation),
/// and libxml2's readers of a finished tree do not modify it.
final class XMLDocument: @unchecked Sendable {
    let pointer: xmlDocPtr

    init(_ pointer: xmlDocPtr) {
        self.pointer = pointer
    }

    deinit { xmlFreeDoc(pointer) }

    var root: xmlNodePtr { xmlDocGetRootElement(pointer)! }
}
