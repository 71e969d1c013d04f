/// A wildcard's namespace constraint (`xs:any`, `xs:anyAttribute`): which namespaces it admits (`""`
/// is no namespace).
enum NamespaceConstraint: Hashable, Sendable {
    case any
    case not(Set<String>)
    case only(Set<String>)

    func admits(_ namespace: String) -> Bool {
        switch self {
        case .any: true
        case .not(let excluded): !excluded.contains(namespace)
        case .only(let included): included.contains(namespace)
        }
    }

    /// What either admits.
    func union(_ other: NamespaceConstraint) -> NamespaceConstraint {
        switch (self, other) {
        case (.any, _), (_, .any): .any
        case (.only(let a), .only(let b)): .only(a.union(b))
        case (.not(let a), .only(let b)), (.only(let b), .not(let a)): .not(a.subtracting(b))
        case (.not(let a), .not(let b)): .not(a.intersection(b))
        }
    }

    /// Whether every namespace `self` admits, `other` admits.
    func isSubset(of other: NamespaceConstraint) -> Bool {
        switch (self, other) {
        case (_, .any): true
        case (.any, _): false
        case (.only(let a), .only(let b)): a.isSubset(of: b)
        case (.only(let a), .not(let b)): a.isDisjoint(with: b)
        case (.not, .only): false
        case (.not(let a), .not(let b)): b.isSubset(of: a)
        }
    }
}

/// `xs:any` or `xs:anyAttribute`.
struct Wildcard: Sendable {
    enum Process: Int, Sendable { case skip, lax, strict }
    var namespaces: NamespaceConstraint
    var process: Process
}

/// An element declaration, global or local. A class: the checker keys its memo by identity and each
/// declaration's type is resolved once.
final class ElementDecl {
    let name: QName
    let definition: Definition
    let nillable: Bool
    let abstract: Bool
    let fixed: String?
    /// Its identity constraints (`xs:key`, `xs:unique`, `xs:keyref`), each as a canonical line.
    let identityConstraints: Set<String>
    /// Whether it is a global declaration.
    let isGlobal: Bool
    var resolvedType: TypeBox?

    init(name: QName, definition: Definition, isGlobal: Bool) {
        self.name = name
        self.definition = definition
        self.isGlobal = isGlobal
        let e = definition.element
        nillable = e.attributes["nillable"] == "true" || e.attributes["nillable"] == "1"
        abstract = e.attributes["abstract"] == "true" || e.attributes["abstract"] == "1"
        fixed = e.attributes["fixed"]
        var constraints = Set<String>()
        for c in e.components where ["key", "unique", "keyref"].contains(c.name) {
            let selector = c.first("selector")?.attributes["xpath"] ?? ""
            let fields = c.xs("field").map { $0.attributes["xpath"] ?? "" }.joined(separator: ",")
            constraints.insert("\(c.name) \(c.attributes["name"] ?? "") refer=\(c.attributes["refer"] ?? "") \(selector) [\(fields)]")
        }
        identityConstraints = constraints
    }
}

/// A resolved type, a class so the checker can key pairs of types by identity.
final class TypeBox {
    enum Kind {
        /// `xs:anyType`: any attributes, any content.
        case anyType
        case simple(SimpleType)
        case complex(ComplexModel)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    var isAnyType: Bool {
        if case .anyType = kind { return true }
        return false
    }
}

/// A complex type's attributes and content.
struct ComplexModel {
    struct AttributeUse {
        var type: SimpleType
        var required: Bool
        var fixed: String?
    }
    enum Content {
        case empty
        case simple(SimpleType)
        case elements(Particle)
    }
    var attributes: [QName: AttributeUse] = [:]
    var anyAttribute: Wildcard?
    var content: Content = .empty
    var mixed = false
    /// An abstract type: no element may have it as its type in a document.
    var abstract = false
}

/// A content model particle with its occurrence range (`max` nil: unbounded).
indirect enum Particle {
    case element(ElementDecl, min: Int, max: Int?)
    case any(Wildcard, min: Int, max: Int?)
    case sequence([Particle], min: Int, max: Int?)
    case choice([Particle], min: Int, max: Int?)
    case all([Particle], min: Int, max: Int?)
}

/// Reads a schema's components into the checker's model, each named type and declaration once.
final class ComponentResolver {
    let components: SchemaComponents
    private var globalElements: [QName: ElementDecl] = [:]
    private var namedTypes: [QName: TypeBox] = [:]
    private var inProgress = Set<QName>()
    /// Steps of work, shared with the checker's budget.
    var steps = 0
    let budget: Int

    /// The longest chain of named types derived from each other that is resolved.
    static let maximumDerivationDepth = 256

    init(_ components: SchemaComponents, budget: Int) {
        self.components = components
        self.budget = budget
    }

    func spend(_ n: Int = 1) throws(XSDError) {
        steps += n
        if steps > budget {
            throw XSDError(
                "the compatibility check needs more than \(budget) steps of work (the budget); the schemas are too large or too deeply repeated to compare",
                isLimit: true)
        }
    }

    // MARK: Elements

    func globalElement(_ name: QName) -> ElementDecl? {
        if let known = globalElements[name] { return known }
        guard let definition = components.elements[name] else { return nil }
        let decl = ElementDecl(name: name, definition: definition, isGlobal: true)
        globalElements[name] = decl
        return decl
    }

    /// The declaration and its substitutes (transitively), without abstract ones: the elements a
    /// reference to `decl` admits. A head that blocks substitution (`block` or `blockDefault` with
    /// `substitution` or `#all`) admits itself only.
    func substitutionFamily(_ decl: ElementDecl) -> [ElementDecl] {
        var result: [ElementDecl] = []
        var seen = Set<QName>()
        var queue = [decl]
        while let next = queue.popLast() {
            guard seen.insert(next.name).inserted else { continue }
            if !next.abstract { result.append(next) }
            let block =
                next.definition.element.attributes["block"].map { Set($0.split(separator: " ").map(String.init)) }
                ?? next.definition.document.blockDefault
            if next.isGlobal && block.isDisjoint(with: ["substitution", "#all"]) {
                for member in components.substitutes[next.name] ?? [] {
                    if let d = globalElement(member) { queue.append(d) }
                }
            }
        }
        return result
    }

    func type(of decl: ElementDecl) throws(XSDError) -> TypeBox {
        if let known = decl.resolvedType { return known }
        let e = decl.definition.element
        let box: TypeBox
        if let typeName = e.attributes["type"] {
            box = try namedType(typeName, in: decl.definition)
        } else if let complex = e.first("complexType") {
            box = TypeBox(.complex(try complexModel(Definition(element: complex, document: decl.definition.document))))
        } else if let simple = e.first("simpleType") {
            box = TypeBox(.simple(try simpleType(Definition(element: simple, document: decl.definition.document))))
        } else if let head = e.attributes["substitutionGroup"],
            let headName = SchemaComponents.resolve(head, in: e, document: decl.definition.document),
            let headDecl = globalElement(headName), headDecl !== decl
        {
            box = try type(of: headDecl)
        } else {
            box = TypeBox(.anyType)
        }
        decl.resolvedType = box
        return box
    }

    // MARK: Types

    func namedType(_ value: String, in definition: Definition) throws(XSDError) -> TypeBox {
        guard let name = SchemaComponents.resolve(value, in: definition.element, document: definition.document) else {
            throw XSDError("the prefix of type \"\(value)\" is not declared", line: definition.element.line)
        }
        return try namedType(name)
    }

    func namedType(_ name: QName) throws(XSDError) -> TypeBox {
        if let known = namedTypes[name] { return known }
        try spend()
        let box: TypeBox
        if name.namespace == xsNamespace {
            if name.local == "anyType" {
                box = TypeBox(.anyType)
            } else if let builtin = BuiltinTypes.type(name.local) {
                box = TypeBox(.simple(builtin))
            } else {
                throw XSDError("xs:\(name.local) is not a built-in type")
            }
        } else {
            guard let definition = components.types[name] else { throw XSDError("type \(name) is not defined") }
            guard inProgress.insert(name).inserted else {
                throw XSDError("type \(name) is derived from itself", line: definition.element.line)
            }
            guard inProgress.count <= Self.maximumDerivationDepth else {
                throw XSDError(
                    "type \(name) is more than \(Self.maximumDerivationDepth) derivations deep; not compared",
                    line: definition.element.line,
                    isLimit: true)
            }
            defer { inProgress.remove(name) }
            if definition.element.name == "simpleType" {
                box = TypeBox(.simple(try simpleType(definition)))
            } else {
                // A named complex type may contain itself through its elements: register it first.
                let model = try complexModel(definition)
                box = TypeBox(.complex(model))
            }
        }
        namedTypes[name] = box
        return box
    }

    /// A simple type named by a QName attribute value.
    func simpleType(named value: String, in definition: Definition) throws(XSDError) -> SimpleType {
        switch try namedType(value, in: definition).kind {
        case .simple(let type): return type
        case .anyType: return .any
        case .complex: throw XSDError("\(value) is a complex type where a simple type is needed", line: definition.element.line)
        }
    }

    /// An `xs:simpleType` element (named or anonymous).
    func simpleType(_ definition: Definition) throws(XSDError) -> SimpleType {
        try spend()
        let e = definition.element
        let child = { (element: XMLElement) in Definition(element: element, document: definition.document) }
        if let restriction = e.first("restriction") {
            let base: SimpleType
            if let name = restriction.attributes["base"] {
                base = try simpleType(named: name, in: child(restriction))
            } else if let inline = restriction.first("simpleType") {
                base = try simpleType(child(inline))
            } else {
                base = .any
            }
            return Self.restrict(base, with: restriction)
        }
        if let list = e.first("list") {
            let item: SimpleType
            if let name = list.attributes["itemType"] {
                item = try simpleType(named: name, in: child(list))
            } else if let inline = list.first("simpleType") {
                item = try simpleType(child(inline))
            } else {
                item = .any
            }
            return .list(item: item, facets: .init())
        }
        if let union = e.first("union") {
            var members: [SimpleType] = []
            for name in (union.attributes["memberTypes"] ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
                members.append(try simpleType(named: String(name), in: child(union)))
            }
            for inline in union.xs("simpleType") { members.append(try simpleType(child(inline))) }
            return .union(members: members, facets: .init())
        }
        return .any
    }

    /// `base` narrowed by the facets of an `xs:restriction`.
    static func restrict(_ base: SimpleType, with restriction: XMLElement) -> SimpleType {
        func narrow(_ facets: inout SimpleType.Facets) {
            var enumeration: [String] = []
            var patterns: [String] = []
            for f in restriction.components {
                let value = f.attributes["value"] ?? ""
                switch f.name {
                case "enumeration": enumeration.append(value)
                case "pattern": patterns.append(value)
                case "length":
                    facets.minLength = Int(value.trimmingXMLWhitespace())
                    facets.maxLength = Int(value.trimmingXMLWhitespace())
                case "minLength": facets.minLength = Int(value.trimmingXMLWhitespace())
                case "maxLength": facets.maxLength = Int(value.trimmingXMLWhitespace())
                case "minInclusive": facets.lower = .init(value: value, inclusive: true)
                case "minExclusive": facets.lower = .init(value: value, inclusive: false)
                case "maxInclusive": facets.upper = .init(value: value, inclusive: true)
                case "maxExclusive": facets.upper = .init(value: value, inclusive: false)
                case "totalDigits": facets.totalDigits = Int(value.trimmingXMLWhitespace())
                case "fractionDigits": facets.fractionDigits = Int(value.trimmingXMLWhitespace())
                case "whiteSpace": facets.whiteSpace = SimpleType.WhiteSpace(rawValue: value.trimmingXMLWhitespace())
                default: break
                }
            }
            if !enumeration.isEmpty { facets.enumeration = enumeration }
            if !patterns.isEmpty { facets.patterns.append(patterns) }
        }
        switch base {
        case .any:
            var atomic = SimpleType.Atomic(primitive: "anySimpleType", builtin: "anySimpleType", ancestry: [], facets: .init())
            narrow(&atomic.facets)
            return atomic.facets.isEmpty ? .any : .atomic(atomic)
        case .atomic(var atomic):
            narrow(&atomic.facets)
            return .atomic(atomic)
        case .list(let item, var facets):
            narrow(&facets)
            return .list(item: item, facets: facets)
        case .union(let members, var facets):
            narrow(&facets)
            return .union(members: members, facets: facets)
        }
    }

    /// An `xs:complexType` element (named or anonymous).
    func complexModel(_ definition: Definition) throws(XSDError) -> ComplexModel {
        try spend()
        let e = definition.element
        let document = definition.document
        let child = { (element: XMLElement) in Definition(element: element, document: document) }
        var model = ComplexModel()
        model.mixed = e.attributes["mixed"] == "true" || e.attributes["mixed"] == "1"
        model.abstract = e.attributes["abstract"] == "true" || e.attributes["abstract"] == "1"
        if let simpleContent = e.first("simpleContent") {
            guard let derivation = simpleContent.first("extension") ?? simpleContent.first("restriction"),
                let baseName = derivation.attributes["base"]
            else { throw XSDError("xs:simpleContent without a base type", line: simpleContent.line) }
            let content: SimpleType
            switch try namedType(baseName, in: child(derivation)).kind {
            case .simple(let type): content = type
            case .anyType: content = .any
            case .complex(let base):
                model.attributes = base.attributes
                model.anyAttribute = base.anyAttribute
                if case .simple(let type) = base.content { content = type } else { content = .any }
            }
            model.content = .simple(derivation.name == "restriction" ? Self.restrict(content, with: derivation) : content)
            if derivation.name == "restriction" { model.anyAttribute = nil }
            try addAttributes(of: child(derivation), to: &model, extending: derivation.name == "extension")
            return model
        }
        if let complexContent = e.first("complexContent") {
            if let mixed = complexContent.attributes["mixed"] { model.mixed = mixed == "true" || mixed == "1" }
            guard let derivation = complexContent.first("extension") ?? complexContent.first("restriction"),
                let baseName = derivation.attributes["base"]
            else { throw XSDError("xs:complexContent without a base type", line: complexContent.line) }
            let own = try particle(in: child(derivation))
            let base = try namedType(baseName, in: child(derivation))
            if derivation.name == "extension" {
                if case .complex(let baseModel) = base.kind {
                    model.attributes = baseModel.attributes
                    model.anyAttribute = baseModel.anyAttribute
                    switch (baseModel.content, own) {
                    case (.elements(let b), let o?): model.content = .elements(.sequence([b, o], min: 1, max: 1))
                    case (.elements(let b), nil): model.content = .elements(b)
                    case (_, let o?): model.content = .elements(o)
                    case (let c, nil): model.content = c
                    }
                } else {
                    model.content = own.map { .elements($0) } ?? .empty
                }
            } else {
                // A restriction keeps the base's attribute uses it does not change, but its attribute
                // wildcard is its own only (XML Schema 1.0, 3.4.2).
                if case .complex(let baseModel) = base.kind { model.attributes = baseModel.attributes }
                model.content = own.map { .elements($0) } ?? .empty
            }
            try addAttributes(of: child(derivation), to: &model, extending: derivation.name == "extension")
            return model
        }
        model.content = try particle(in: definition).map { .elements($0) } ?? .empty
        try addAttributes(of: definition, to: &model)
        return model
    }

    /// The content particle directly inside a complex type or a derivation (`sequence`, `choice`, `all`, `group`).
    private func particle(in definition: Definition) throws(XSDError) -> Particle? {
        guard let p = definition.element.components.first(where: { ["sequence", "choice", "all", "group"].contains($0.name) }) else {
            return nil
        }
        return try particle(Definition(element: p, document: definition.document))
    }

    static func occurs(_ e: XMLElement) -> (min: Int, max: Int?) {
        let min = Int(e.attributes["minOccurs"]?.trimmingXMLWhitespace() ?? "1") ?? 1
        let maxText = e.attributes["maxOccurs"]?.trimmingXMLWhitespace() ?? "1"
        return (min, maxText == "unbounded" ? nil : (Int(maxText) ?? 1))
    }

    func particle(_ definition: Definition) throws(XSDError) -> Particle? {
        try spend()
        let e = definition.element
        let document = definition.document
        let (min, max) = Self.occurs(e)
        switch e.name {
        case "element":
            let decl: ElementDecl
            if let ref = e.attributes["ref"] {
                guard let name = SchemaComponents.resolve(ref, in: e, document: document), let global = globalElement(name) else {
                    throw XSDError("element reference \(ref) names no declared element", line: e.line)
                }
                decl = global
            } else {
                let qualified = e.attributes["form"].map { $0 == "qualified" } ?? document.elementsQualified
                let name = QName(namespace: qualified ? document.targetNamespace : "", local: e.attributes["name"] ?? "")
                decl = ElementDecl(name: name, definition: definition, isGlobal: false)
            }
            return .element(decl, min: min, max: max)
        case "any":
            return .any(Self.wildcard(e, document: document), min: min, max: max)
        case "group":
            guard let ref = e.attributes["ref"], let name = SchemaComponents.resolve(ref, in: e, document: document),
                let group = components.groups[name]
            else { throw XSDError("group reference \(e.attributes["ref"] ?? "") names no declared group", line: e.line) }
            guard let inner = group.element.components.first(where: { ["sequence", "choice", "all"].contains($0.name) }) else { return nil }
            guard let p = try particle(Definition(element: inner, document: group.document)) else { return nil }
            return .sequence([p], min: min, max: max)
        case "sequence", "choice", "all":
            var items: [Particle] = []
            for c in e.components {
                if let p = try particle(Definition(element: c, document: document)) { items.append(p) }
            }
            switch e.name {
            case "sequence": return .sequence(items, min: min, max: max)
            case "choice": return .choice(items, min: min, max: max)
            default: return .all(items, min: min, max: max)
            }
        default:
            return nil
        }
    }

    static func wildcard(_ e: XMLElement, document: SchemaDocument) -> Wildcard {
        let tokens = (e.attributes["namespace"] ?? "##any").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        let namespaces: NamespaceConstraint
        if tokens.contains("##any") {
            namespaces = .any
        } else if tokens.contains("##other") {
            namespaces = .not([document.targetNamespace, ""])
        } else {
            namespaces = .only(
                Set(
                    tokens.map {
                        $0 == "##targetNamespace" ? document.targetNamespace : $0 == "##local" ? "" : String($0)
                    }))
        }
        let process: Wildcard.Process =
            switch e.attributes["processContents"] {
            case "skip": .skip
            case "lax": .lax
            default: .strict
            }
        return Wildcard(namespaces: namespaces, process: process)
    }

    // MARK: Attributes

    /// With `extending`, an own attribute wildcard is united with the base's (an extension's wildcard
    /// admits what either admits); otherwise it replaces it.
    private func addAttributes(of definition: Definition, to model: inout ComplexModel, extending: Bool = false, depth: Int = 0)
        throws(XSDError)
    {
        guard depth < 64 else { throw XSDError("attribute groups nest more than 64 deep", line: definition.element.line) }
        let document = definition.document
        for a in definition.element.components {
            switch a.name {
            case "attribute":
                let name: QName
                var typeSource = Definition(element: a, document: document)
                if let ref = a.attributes["ref"] {
                    guard let resolved = SchemaComponents.resolve(ref, in: a, document: document),
                        let global = components.attributes[resolved]
                    else {
                        throw XSDError("attribute reference \(ref) names no declared attribute", line: a.line)
                    }
                    name = resolved
                    typeSource = global
                } else {
                    let qualified = a.attributes["form"].map { $0 == "qualified" } ?? document.attributesQualified
                    name = QName(namespace: qualified ? document.targetNamespace : "", local: a.attributes["name"] ?? "")
                }
                let use = a.attributes["use"] ?? "optional"
                if use == "prohibited" {
                    model.attributes[name] = nil
                    continue
                }
                let type: SimpleType
                if let typeName = typeSource.element.attributes["type"] {
                    type = try simpleType(named: typeName, in: typeSource)
                } else if let inline = typeSource.element.first("simpleType") {
                    type = try simpleType(Definition(element: inline, document: typeSource.document))
                } else {
                    type = .any
                }
                model.attributes[name] = .init(
                    type: type, required: use == "required", fixed: a.attributes["fixed"] ?? typeSource.element.attributes["fixed"])
            case "attributeGroup":
                guard let ref = a.attributes["ref"], let name = SchemaComponents.resolve(ref, in: a, document: document),
                    let group = components.attributeGroups[name]
                else { throw XSDError("attribute group reference names no declared group", line: a.line) }
                try addAttributes(of: group, to: &model, extending: extending, depth: depth + 1)
            case "anyAttribute":
                let own = Self.wildcard(a, document: document)
                if extending, let base = model.anyAttribute {
                    model.anyAttribute = Wildcard(namespaces: base.namespaces.union(own.namespaces), process: own.process)
                } else {
                    model.anyAttribute = own
                }
            default:
                continue
            }
        }
    }
}
