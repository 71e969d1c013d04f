import CanonCore

/// XML Schema compatibility: can every document valid under the writer schema be read by the reader,
/// that is, is it valid under the reader too? Decided over the schemas' components:
/// - every global element of the writer (a possible document root) is declared by the reader;
/// - element declarations: nillable, fixed values, abstract, identity constraints, and their types;
/// - complex types: attributes (declared, required, fixed, wildcards), mixed content, and content
///   models as automata over child elements (the writer's language of child sequences must be in the
///   reader's: sequence, choice, all, occurrence ranges, groups, substitution groups, wildcards);
/// - simple types: ``SimpleTypeInclusion``.
/// Each incompatible component is reported once, by the XPath of its place in documents
/// (`/order/item/@sku`). What is not decided here (two regular expressions, ranges of dates) is said
/// in the message and judged incompatible. Not compared: the types an instance may select with
/// `xsi:type`; schemas using `xs:redefine` are compatible only with an identical schema.
final class XSDCompatibility {
    private let writer: ComponentResolver
    private let reader: ComponentResolver
    private let readerName: String
    private let writerName: String
    private(set) var messages: [CompatibilityMessage] = []
    private var seenMessages = Set<String>()
    private var comparedElements = Set<[ObjectIdentifier]>()
    private var comparedTypes = Set<[ObjectIdentifier]>()
    /// Elements being compared, nested: bounded so that no schema can exhaust the stack.
    private var depth = 0
    static let maximumDepth = 256

    static func incompatibilities(reader: XSDParsedSchema, writer: XSDParsedSchema, readerRole: SchemaRole, budget: Int) throws
        -> [CompatibilityMessage]
    {
        let (readerName, writerName) = readerRole == .new ? ("new", "old") : ("old", "new")
        let check = XSDCompatibility(
            reader: ComponentResolver(reader.components, budget: budget), writer: ComponentResolver(writer.components, budget: budget),
            readerName: readerName, writerName: writerName)
        if reader.components.usesRedefine || writer.components.usesRedefine {
            if reader.canonicalText != writer.canonicalText || reader.references != writer.references {
                check.add(
                    "REDEFINE_NOT_COMPARED", "/",
                    "schemas using xs:redefine are compared by identity only, and the \(readerName) and \(writerName) schemas differ")
            }
            return check.messages
        }
        try check.compareRoots()
        return check.messages
    }

    private init(reader: ComponentResolver, writer: ComponentResolver, readerName: String, writerName: String) {
        self.reader = reader
        self.writer = writer
        self.readerName = readerName
        self.writerName = writerName
    }

    private func add(_ type: String, _ path: String, _ detail: String) {
        let description = "\(path): \(detail)"
        guard seenMessages.insert("\(type) \(description)").inserted else { return }
        messages.append(
            CompatibilityMessage(errorType: type, description: description, text: #"{errorType:"\#(type)", description:"\#(description)"}"#)
        )
    }

    private func spend(_ n: Int = 1) throws(XSDError) { try writer.spend(n) }

    // MARK: Elements

    private func compareRoots() throws(XSDError) {
        for name in writer.components.elementOrder {
            guard let w = writer.globalElement(name), !w.abstract else { continue }
            let path = "/\(name.local)"
            guard let r = reader.globalElement(name) else {
                add(
                    "ELEMENT_REMOVED", path,
                    "the \(writerName) schema declares the global element \(name) (a document may have it as its root); the \(readerName) schema does not"
                )
                continue
            }
            try compareElements(w, r, path: path)
        }
    }

    private func compareElements(_ w: ElementDecl, _ r: ElementDecl, path: String) throws(XSDError) {
        guard comparedElements.insert([ObjectIdentifier(w), ObjectIdentifier(r)]).inserted else { return }
        try spend()
        guard depth < Self.maximumDepth else {
            throw XSDError("the schemas nest elements more than \(Self.maximumDepth) deep (at \(path)); not compared", isLimit: true)
        }
        depth += 1
        defer { depth -= 1 }
        if r.abstract && !w.abstract {
            add("ELEMENT_ABSTRACT", path, "the element is abstract in the \(readerName) schema (it may not appear itself)")
        }
        if w.nillable && !r.nillable {
            add("NILLABLE_REMOVED", path, "the \(writerName) schema allows xsi:nil on it; the \(readerName) schema does not")
        }
        if let fixed = r.fixed, w.fixed != fixed {
            add("FIXED_VALUE_CHANGED", path, "the \(readerName) schema fixes its value to '\(fixed)'; the \(writerName) schema does not")
        }
        for constraint in r.identityConstraints.subtracting(w.identityConstraints).sorted() {
            add(
                "IDENTITY_CONSTRAINT_ADDED", path,
                "the \(readerName) schema has the identity constraint \(constraint), which the \(writerName) schema does not enforce")
        }
        try compareTypes(try writer.type(of: w), try reader.type(of: r), path: path)
    }

    // MARK: Types

    private func compareTypes(_ w: TypeBox, _ r: TypeBox, path: String) throws(XSDError) {
        guard comparedTypes.insert([ObjectIdentifier(w), ObjectIdentifier(r)]).inserted else { return }
        try spend()
        if case .complex(let rc) = r.kind, rc.abstract {
            if case .complex(let wc) = w.kind, wc.abstract {
            } else {
                add(
                    "TYPE_ABSTRACT", path,
                    "the \(readerName) schema's type here is abstract (no document may use it); the \(writerName) schema's is not")
            }
        }
        switch (w.kind, r.kind) {
        case (_, .anyType):
            // xs:anyType validates children laxly: by the reader's global declarations where it has one.
            try compareLaxGlobals(admittedBy: .any, writerProcess: w.isAnyType ? .lax : .strict, path: path)
            return
        case (.anyType, _):
            add("TYPE_NARROWED", path, "the \(writerName) schema allows any content here (xs:anyType); the \(readerName) schema does not")
        case (.simple(let ws), .simple(let rs)):
            compareSimple(ws, rs, path: path)
        case (.simple(let ws), .complex(let rc)):
            let model = ComplexModel(content: .simple(ws))
            try compareComplex(model, rc, path: path)
        case (.complex(let wc), .simple(let rs)):
            for name in wc.attributes.keys.sorted(by: { $0.description < $1.description }) {
                add("ATTRIBUTE_NOT_ALLOWED", "\(path)/@\(name.local)", "the \(readerName) schema's simple type allows no attributes")
            }
            if wc.anyAttribute != nil {
                add(
                    "ATTRIBUTE_WILDCARD_NARROWED", "\(path)/@*",
                    "the \(writerName) schema admits attributes here; the \(readerName) schema's simple type allows none")
            }
            try compareComplex(
                ComplexModel(attributes: [:], anyAttribute: nil, content: wc.content, mixed: wc.mixed), ComplexModel(content: .simple(rs)),
                path: path)
        case (.complex(let wc), .complex(let rc)):
            try compareComplex(wc, rc, path: path)
        }
    }

    private func compareSimple(_ w: SimpleType, _ r: SimpleType, path: String) {
        if let reason = SimpleTypeInclusion.narrowing(reader: r, writer: w) {
            add("SIMPLE_TYPE_NARROWED", path, reason)
        }
    }

    private func compareComplex(_ w: ComplexModel, _ r: ComplexModel, path: String) throws(XSDError) {
        try compareAttributes(w, r, path: path)
        if w.mixed && !r.mixed, case .elements = w.content {
            add(
                "MIXED_CONTENT_REMOVED", path,
                "the \(writerName) schema allows text between child elements; the \(readerName) schema does not")
        }
        let emptyParticle = Particle.sequence([], min: 1, max: 1)
        if w.mixed, case .empty = w.content {
            // Text only (mixed, no particle): the reader must allow any text here.
            let textAllowed: Bool
            switch r.content {
            case .simple(let rs): textAllowed = SimpleTypeInclusion.isPlainString(rs) || { if case .any = rs { true } else { false } }()
            case .empty: textAllowed = r.mixed
            case .elements(let rp):
                var allowed = r.mixed
                if allowed { allowed = try acceptsEmpty(rp) }
                textAllowed = allowed
            }
            if !textAllowed {
                add("MIXED_CONTENT_REMOVED", path, "the \(writerName) schema allows any text here; the \(readerName) schema does not")
            }
            return
        }
        switch (w.content, r.content) {
        case (.simple(let ws), .simple(let rs)):
            compareSimple(ws, rs, path: path)
        case (.empty, .simple(let rs)):
            if SimpleTypeInclusion.accepts(rs, "") != true {
                add(
                    "CONTENT_TYPE_CHANGED", path,
                    "the \(writerName) schema allows the element empty; the \(readerName) schema's \(rs.name) may not accept that")
            }
        case (.simple(let ws), .empty), (.simple(let ws), .elements):
            // Text is allowed by a mixed reader with content that may be empty.
            let readerParticle: Particle = if case .elements(let p) = r.content { p } else { emptyParticle }
            var textAllowed = r.mixed
            if textAllowed { textAllowed = try acceptsEmpty(readerParticle) }
            if !textAllowed {
                add(
                    "CONTENT_TYPE_CHANGED", path,
                    "the \(writerName) schema allows text (\(ws.name)) here; the \(readerName) schema allows child elements only")
            }
        case (.elements(let wp), .simple(let rs)):
            if try !acceptsOnlyEmpty(wp) || w.mixed {
                add(
                    "CONTENT_TYPE_CHANGED", path,
                    "the \(writerName) schema allows child elements here; the \(readerName) schema allows text (\(rs.name)) only")
            } else if SimpleTypeInclusion.accepts(rs, "") != true {
                add(
                    "CONTENT_TYPE_CHANGED", path,
                    "the \(writerName) schema allows the element empty; the \(readerName) schema's \(rs.name) may not accept that")
            }
        case (.empty, .empty):
            return
        case (.empty, .elements(let rp)):
            try compareContent(emptyParticle, rp, path: path)
        case (.elements(let wp), .empty):
            try compareContent(wp, emptyParticle, path: path)
        case (.elements(let wp), .elements(let rp)):
            try compareContent(wp, rp, path: path)
        }
    }

    private func acceptsEmpty(_ particle: Particle) throws(XSDError) -> Bool {
        let automaton = try ContentAutomaton(particle, resolver: reader)
        return automaton.isAccepting(automaton.closure([automaton.start]))
    }

    private func acceptsOnlyEmpty(_ particle: Particle) throws(XSDError) -> Bool {
        let automaton = try ContentAutomaton(particle, resolver: writer)
        return automaton.transitions(Array(0..<automaton.stateCount)).isEmpty
    }

    // MARK: Attributes

    private func compareAttributes(_ w: ComplexModel, _ r: ComplexModel, path: String) throws(XSDError) {
        for (name, use) in w.attributes.sorted(by: { $0.key.description < $1.key.description }) {
            let attributePath = "\(path)/@\(name.local)"
            if let readerUse = r.attributes[name] {
                if let fixed = use.fixed {
                    if SimpleTypeInclusion.accepts(readerUse.type, fixed) != true {
                        add(
                            "ATTRIBUTE_TYPE_NARROWED", attributePath,
                            "the \(writerName) schema fixes it to '\(fixed)', which the \(readerName) schema's \(readerUse.type.name) does not accept"
                        )
                    }
                } else {
                    compareSimple(use.type, readerUse.type, path: attributePath)
                }
                if let fixed = readerUse.fixed, use.fixed != fixed {
                    add(
                        "FIXED_VALUE_CHANGED", attributePath,
                        "the \(readerName) schema fixes it to '\(fixed)'; the \(writerName) schema does not")
                }
            } else if let wildcard = r.anyAttribute, wildcard.namespaces.admits(name.namespace) {
                guard wildcard.process != .skip else { continue }
                if let global = reader.components.attributes[name] {
                    let type = try globalAttributeType(global, resolver: reader)
                    compareSimple(use.type, type, path: attributePath)
                } else if wildcard.process == .strict {
                    add(
                        "ATTRIBUTE_NOT_ALLOWED", attributePath,
                        "the \(readerName) schema's attribute wildcard is strict and declares no attribute \(name)")
                }
            } else {
                add(
                    "ATTRIBUTE_NOT_ALLOWED", attributePath,
                    "the \(writerName) schema allows this attribute; the \(readerName) schema does not")
            }
        }
        // An attribute the reader declares, the writer does not, and the writer's wildcard admits may come
        // with any value (skip), or typed by the writer's global declaration (lax, strict).
        if let wildcard = w.anyAttribute {
            for (name, readerUse) in r.attributes.sorted(by: { $0.key.description < $1.key.description })
            where w.attributes[name] == nil && wildcard.namespaces.admits(name.namespace) {
                let attributePath = "\(path)/@\(name.local)"
                if wildcard.process != .skip, let global = writer.components.attributes[name] {
                    compareSimple(try globalAttributeType(global, resolver: writer), readerUse.type, path: attributePath)
                } else if wildcard.process != .strict {
                    if case .any = readerUse.type {
                    } else if !SimpleTypeInclusion.isPlainString(readerUse.type) {
                        add(
                            "ATTRIBUTE_TYPE_NARROWED", attributePath,
                            "the \(writerName) schema's attribute wildcard admits it with any value; the \(readerName) schema types it \(readerUse.type.name)"
                        )
                    }
                }
            }
        }
        for (name, use) in r.attributes.sorted(by: { $0.key.description < $1.key.description }) where use.required {
            if w.attributes[name]?.required != true {
                add(
                    "REQUIRED_ATTRIBUTE_ADDED", "\(path)/@\(name.local)",
                    "the \(readerName) schema requires this attribute; the \(writerName) schema allows it to be absent")
            }
        }
        if let wildcard = w.anyAttribute {
            guard let readerWildcard = r.anyAttribute, wildcard.namespaces.isSubset(of: readerWildcard.namespaces),
                readerWildcard.process.rawValue <= wildcard.process.rawValue
            else {
                add(
                    "ATTRIBUTE_WILDCARD_NARROWED", "\(path)/@*",
                    "the \(writerName) schema's attribute wildcard admits attributes the \(readerName) schema does not")
                return
            }
        }
    }

    private func globalAttributeType(_ definition: Definition, resolver: ComponentResolver) throws(XSDError) -> SimpleType {
        if let name = definition.element.attributes["type"] { return try resolver.simpleType(named: name, in: definition) }
        if let inline = definition.element.first("simpleType") {
            return try resolver.simpleType(Definition(element: inline, document: definition.document))
        }
        return .any
    }

    // MARK: Content models

    /// Whether every sequence of child elements the writer's content model accepts, the reader's does,
    /// with each child's declarations compatible: the writer's automaton run against the reader's,
    /// determinized as it goes.
    private func compareContent(_ wp: Particle, _ rp: Particle, path: String) throws(XSDError) {
        let wa = try ContentAutomaton(wp, resolver: writer)
        let ra = try ContentAutomaton(rp, resolver: reader)
        struct Key: Hashable {
            var writer: Int
            var reader: [Int]
        }
        var seen = Set<Key>()
        var queue: [(writer: Int, reader: [Int], after: String)] = [(wa.start, ra.closure([ra.start]), "at the start")]
        while let (w, rs, after) = queue.popLast() {
            guard seen.insert(Key(writer: w, reader: rs)).inserted else { continue }
            try spend(1 + rs.count)
            for next in wa.epsilonTargets(w) { queue.append((next, rs, after)) }
            if w == wa.accept && !ra.isAccepting(rs) {
                let expected = Self.names(ra.transitions(rs).map(\.0))
                add(
                    "CONTENT_ENDS_EARLY", path,
                    "the \(writerName) schema allows the content to end \(after); the \(readerName) schema requires more (\(expected))")
            }
            for (symbol, target) in wa.edgesFrom(w) {
                var next: [Int] = []
                switch symbol {
                case .element(let wd):
                    let childPath = "\(path)/\(wd.name.local)"
                    // XML Schema requires one content model's declarations of a name to agree (Element
                    // Declarations Consistent); libxml2 does not enforce it, and which one it then uses
                    // is not decided here.
                    let named = ra.transitions(rs).compactMap { symbol -> ElementDecl? in
                        if case .element(let rd) = symbol.0, rd.name == wd.name { return rd }
                        return nil
                    }
                    let consistent = named.dropFirst().allSatisfy {
                        $0 === named[0] || $0.definition.element.sameContent(as: named[0].definition.element)
                    }
                    if !consistent {
                        add(
                            "ELEMENT_DECLARATIONS_INCONSISTENT", childPath,
                            "the \(readerName) schema declares this element more than once here with different declarations (XML Schema's Element Declarations Consistent rule, which libxml2 does not enforce); which one reads it is not decided here; judged incompatible"
                        )
                    }
                    for (readerSymbol, readerTarget) in ra.transitions(rs) {
                        switch readerSymbol {
                        case .element(let rd) where rd.name == wd.name:
                            if consistent && rd === named[0] { try compareElements(wd, rd, path: childPath) }
                            next.append(readerTarget)
                        case .any(let wildcard) where wildcard.namespaces.admits(wd.name.namespace):
                            try compareWildcardMatch(wd, wildcard, path: childPath)
                            next.append(readerTarget)
                        default:
                            continue
                        }
                    }
                    if next.isEmpty {
                        add(
                            "ELEMENT_NOT_ALLOWED", childPath,
                            "the \(writerName) schema allows this element \(after); the \(readerName) schema does not (it allows \(Self.names(ra.transitions(rs).map(\.0))))"
                        )
                        continue
                    }
                    queue.append((target, ra.closure(next), "after <\(wd.name.local)>"))
                case .any(let wildcard):
                    var narrowed = false
                    for (readerSymbol, readerTarget) in ra.transitions(rs) {
                        switch readerSymbol {
                        case .any(let readerWildcard) where wildcard.namespaces.isSubset(of: readerWildcard.namespaces):
                            if readerWildcard.process.rawValue > wildcard.process.rawValue { narrowed = true }
                            if readerWildcard.process != .skip {
                                try compareLaxGlobals(admittedBy: wildcard.namespaces, writerProcess: wildcard.process, path: path)
                            }
                            next.append(readerTarget)
                        case .element(let rd) where wildcard.namespaces.admits(rd.name.namespace):
                            narrowed = true
                        default:
                            continue
                        }
                    }
                    if next.isEmpty || narrowed {
                        add(
                            "WILDCARD_NARROWED", "\(path)/*",
                            "the \(writerName) schema allows any element \(Self.describe(wildcard.namespaces)) \(after); the \(readerName) schema does not allow all of them"
                        )
                    }
                    if !next.isEmpty { queue.append((target, ra.closure(next), "after a wildcard element")) }
                }
            }
        }
    }

    /// A writer's element read by a reader's wildcard: `skip` takes it as it is, `lax` and `strict`
    /// validate it by the reader's global declaration (which `strict` needs).
    private func compareWildcardMatch(_ wd: ElementDecl, _ wildcard: Wildcard, path: String) throws(XSDError) {
        guard wildcard.process != .skip else { return }
        if let global = reader.globalElement(wd.name) {
            try compareElements(wd, global, path: path)
        } else if wildcard.process == .strict {
            add("ELEMENT_NOT_ALLOWED", path, "the \(readerName) schema's wildcard is strict and declares no global element \(wd.name)")
        }
    }

    /// Elements a writer's wildcard (or `xs:anyType`) lets through, which the reader validates by its
    /// global declarations: each reader global the wildcard admits must be compatible with the writer's
    /// of the same name; where the writer has none, or skips validation, the writer may send any content.
    private func compareLaxGlobals(admittedBy namespaces: NamespaceConstraint, writerProcess: Wildcard.Process, path: String)
        throws(XSDError)
    {
        for name in reader.components.elementOrder where namespaces.admits(name.namespace) {
            guard let readerGlobal = reader.globalElement(name) else { continue }
            if case .anyType = try reader.type(of: readerGlobal).kind { continue }
            let childPath = "\(path)/\(name.local)"
            if writerProcess != .skip, let writerGlobal = writer.globalElement(name) {
                try compareElements(writerGlobal, readerGlobal, path: childPath)
            } else if writerProcess != .strict {
                add(
                    "ELEMENT_NOT_VALIDATED", childPath,
                    "the \(writerName) schema lets this element through a wildcard unvalidated; the \(readerName) schema validates it by its global declaration"
                )
            }
        }
    }

    private static func names(_ symbols: [ContentAutomaton.Symbol]) -> String {
        var names: [String] = []
        for symbol in symbols {
            let name: String =
                switch symbol {
                case .element(let d): "<\(d.name.local)>"
                case .any(let w): "any element \(describe(w.namespaces))"
                }
            if !names.contains(name) { names.append(name) }
        }
        return names.isEmpty ? "no element" : names.joined(separator: ", ")
    }

    private static func describe(_ namespaces: NamespaceConstraint) -> String {
        switch namespaces {
        case .any: "of any namespace"
        case .not(let excluded): "of a namespace other than \(excluded.sorted().map { $0.isEmpty ? "none" : $0 }.joined(separator: ", "))"
        case .only(let included): "of \(included.sorted().map { $0.isEmpty ? "no namespace" : $0 }.joined(separator: ", "))"
        }
    }
}
