/// The XML Schema namespace.
let xsNamespace = "http://www.w3.org/2001/XMLSchema"

/// A qualified name: a namespace URI (`""` for none) and a local name.
struct QName: Hashable, Sendable, CustomStringConvertible {
    var namespace: String
    var local: String

    /// The name as written in messages: `local`, or `{namespace}local` in a namespace.
    var description: String { namespace.isEmpty ? local : "{\(namespace)}\(local)" }
}

/// One schema document's place in the set: its `xs:schema` element, target namespace and form defaults.
struct SchemaDocument: Sendable {
    var root: XMLElement
    var targetNamespace: String
    /// Whether it was included without a target namespace of its own ("chameleon"): its references to
    /// components in no namespace mean its includer's.
    var isChameleon = false
    var elementsQualified: Bool
    var attributesQualified: Bool
    /// `blockDefault`'s tokens.
    var blockDefault: Set<String> = []
}

/// A top-level definition: the element that defines it and the document it is in.
struct Definition: Sendable {
    var element: XMLElement
    var document: SchemaDocument
}

/// The top-level components of a schema and the documents it includes and imports, by kind and
/// qualified name: what the compatibility checker reads (libxml2 compiles the same documents to
/// validate; its compiled components are not public API in 2.9, so Canon reads the documents itself).
struct SchemaComponents: Sendable {
    var elements: [QName: Definition] = [:]
    var types: [QName: Definition] = [:]
    var groups: [QName: Definition] = [:]
    var attributeGroups: [QName: Definition] = [:]
    var attributes: [QName: Definition] = [:]
    /// The global elements in document order (the first is the schema's record name).
    var elementOrder: [QName] = []
    /// Head element -> the elements that name it as their substitution group head.
    var substitutes: [QName: [QName]] = [:]
    /// Whether some document uses `xs:redefine` (not modelled: such schemas are compared by identity).
    var usesRedefine = false

    /// The components of `root` and of the documents it includes or imports, read from `references`
    /// (by `schemaLocation`).
    init(root: XMLElement, references: [String: XMLElement]) throws(XSDError) {
        var visited = Set<String>()
        try add(root, includedInto: nil, location: "", references: references, visited: &visited)
        for (name, definition) in elements {
            if let head = definition.element.attributes["substitutionGroup"],
                let headName = Self.resolve(head, in: definition.element, document: definition.document)
            {
                substitutes[headName, default: []].append(name)
            }
        }
        for key in substitutes.keys { substitutes[key]?.sort { $0.description < $1.description } }
    }

    private mutating func add(
        _ root: XMLElement, includedInto includer: String?, location: String, references: [String: XMLElement], visited: inout Set<String>
    ) throws(XSDError) {
        guard root.namespace == xsNamespace, root.name == "schema" else {
            throw XSDError("the root element is not xs:schema", file: location.isEmpty ? nil : location)
        }
        let ownNamespace = root.attributes["targetNamespace"] ?? ""
        // A schema without a target namespace takes its includer's ("chameleon" include).
        let document = SchemaDocument(
            root: root, targetNamespace: ownNamespace.isEmpty ? (includer ?? "") : ownNamespace,
            isChameleon: ownNamespace.isEmpty && !(includer ?? "").isEmpty,
            elementsQualified: root.attributes["elementFormDefault"] == "qualified",
            attributesQualified: root.attributes["attributeFormDefault"] == "qualified",
            blockDefault: Set((root.attributes["blockDefault"] ?? "").split(separator: " ").map(String.init)))
        for child in root.children where child.namespace == xsNamespace {
            switch child.name {
            case "include", "import", "redefine":
                if child.name == "redefine" { usesRedefine = true }
                guard let location = child.attributes["schemaLocation"] else { continue }
                guard let included = references[location] else {
                    throw XSDError(
                        "schemaLocation \"\(location)\" is not one of the schema's references (a reference's name is the schemaLocation it serves)",
                        line: child.line)
                }
                let key = "\(location)|\(child.name == "import" ? "" : document.targetNamespace)"
                guard visited.insert(key).inserted else { continue }
                try add(
                    included, includedInto: child.name == "import" ? nil : document.targetNamespace, location: location,
                    references: references, visited: &visited)
            case "element", "complexType", "simpleType", "group", "attributeGroup", "attribute":
                guard let local = child.attributes["name"] else { continue }
                let name = QName(namespace: document.targetNamespace, local: local)
                let definition = Definition(element: child, document: document)
                switch child.name {
                case "element":
                    if elements[name] == nil { elementOrder.append(name) }
                    elements[name] = definition
                case "complexType", "simpleType": types[name] = definition
                case "group": groups[name] = definition
                case "attributeGroup": attributeGroups[name] = definition
                default: attributes[name] = definition
                }
            default: continue
            }
        }
    }

    /// A QName-valued attribute (`xs:string`, `tns:Order`, `Order`) resolved with `element`'s
    /// in-scope namespaces; nil when its prefix is not declared.
    /// In a chameleon-included `document`, a name in no namespace means one in its includer's.
    static func resolve(_ value: String, in element: XMLElement, document: SchemaDocument) -> QName? {
        let trimmed = value.trimmingXMLWhitespace()
        var name: QName
        if let colon = trimmed.firstIndex(of: ":") {
            guard let namespace = element.namespaces[String(trimmed[..<colon])] else { return nil }
            name = QName(namespace: namespace, local: String(trimmed[trimmed.index(after: colon)...]))
        } else {
            name = QName(namespace: element.namespaces[""] ?? "", local: trimmed)
        }
        if document.isChameleon && name.namespace.isEmpty { name.namespace = document.targetNamespace }
        return name
    }
}

extension XMLElement {
    /// The XML Schema children named `name`.
    func xs(_ name: String) -> [XMLElement] { children.filter { $0.namespace == xsNamespace && $0.name == name } }
    /// The first XML Schema child named `name`.
    func first(_ name: String) -> XMLElement? { children.first { $0.namespace == xsNamespace && $0.name == name } }
    /// The XML Schema children other than annotations.
    var components: [XMLElement] { children.filter { $0.namespace == xsNamespace && $0.name != "annotation" } }
}

extension StringProtocol {
    /// Without leading and trailing XML whitespace (space, tab, CR, LF).
    func trimmingXMLWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }

    /// XML Schema's `collapse`: runs of whitespace as one space, none at the ends.
    func collapsingXMLWhitespace() -> String {
        split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).joined(separator: " ")
    }
}
