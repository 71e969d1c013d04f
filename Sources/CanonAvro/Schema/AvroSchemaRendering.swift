import CanonCore

extension AvroSchema {
    /// The full rendering: every attribute kept, no whitespace, members in the order Apache Avro Java's
    /// `Schema.toString()` writes them. This is a schema's identity everywhere except fingerprints.
    ///
    /// A named type is written in full at its first occurrence and by name afterwards (short when it is
    /// in the enclosing namespace), so a schema that uses types from other files is self-contained.
    public var fullRendering: String {
        var renderer = FullRenderer(schema: self)
        renderer.render(root, namespace: nil)
        return renderer.writer.text
    }

    /// Avro's Parsing Canonical Form, exactly as the specification defines it.
    public var canonicalForm: String {
        var writer = JSONWriter()
        var written = Set<Int>()
        renderCanonical(root, into: &writer, written: &written)
        return writer.text
    }

    private func renderCanonical(_ index: Int, into w: inout JSONWriter, written: inout Set<Int>) {
        switch nodes[index] {
        case .primitive(let p, _):
            w.writeString(p.rawValue)
        case .union(let branches):
            w.writeRaw("[")
            for (i, b) in branches.enumerated() {
                if i > 0 { w.writeRaw(",") }
                renderCanonical(b, into: &w, written: &written)
            }
            w.writeRaw("]")
        case .array(let items, _):
            w.writeRaw("{\"type\":\"array\",\"items\":")
            renderCanonical(items, into: &w, written: &written)
            w.writeRaw("}")
        case .map(let values, _):
            w.writeRaw("{\"type\":\"map\",\"values\":")
            renderCanonical(values, into: &w, written: &written)
            w.writeRaw("}")
        case .record(let r):
            if !written.insert(index).inserted { return w.writeString(r.name.fullName) }
            w.writeRaw("{\"name\":")
            w.writeString(r.name.fullName)
            w.writeRaw(",\"type\":\"record\",\"fields\":[")
            for (i, f) in r.fields.enumerated() {
                if i > 0 { w.writeRaw(",") }
                w.writeRaw("{\"name\":")
                w.writeString(f.name)
                w.writeRaw(",\"type\":")
                renderCanonical(f.type, into: &w, written: &written)
                w.writeRaw("}")
            }
            w.writeRaw("]}")
        case .enumeration(let e):
            if !written.insert(index).inserted { return w.writeString(e.name.fullName) }
            w.writeRaw("{\"name\":")
            w.writeString(e.name.fullName)
            w.writeRaw(",\"type\":\"enum\",\"symbols\":[")
            for (i, s) in e.symbols.enumerated() {
                if i > 0 { w.writeRaw(",") }
                w.writeString(s)
            }
            w.writeRaw("]}")
        case .fixed(let f):
            if !written.insert(index).inserted { return w.writeString(f.name.fullName) }
            w.writeRaw("{\"name\":")
            w.writeString(f.name.fullName)
            w.writeRaw(",\"type\":\"fixed\",\"size\":\(f.size)}")
        }
    }
}

/// Writes the full rendering, following Avro Java's `Schema.toJson` member order and namespace rules.
private struct FullRenderer {
    let schema: AvroSchema
    /// Defaults and properties hold doubles as Avro Java writes them.
    var writer = JSONWriter(doubleStyle: .java)
    var written = Set<Int>()

    init(schema: AvroSchema) { self.schema = schema }

    mutating func render(_ index: Int, namespace: String?) {
        switch schema.nodes[index] {
        case .primitive(let p, let attributes):
            if attributes.properties.isEmpty {
                writer.writeString(p.rawValue)
            } else {
                writer.writeRaw("{\"type\":")
                writer.writeString(p.rawValue)
                writeProperties(attributes.properties)
                writer.writeRaw("}")
            }
        case .array(let items, let attributes):
            writer.writeRaw("{\"type\":\"array\",\"items\":")
            render(items, namespace: namespace)
            writeProperties(attributes.properties)
            writer.writeRaw("}")
        case .map(let values, let attributes):
            writer.writeRaw("{\"type\":\"map\",\"values\":")
            render(values, namespace: namespace)
            writeProperties(attributes.properties)
            writer.writeRaw("}")
        case .union(let branches):
            writer.writeRaw("[")
            for (i, b) in branches.enumerated() {
                if i > 0 { writer.writeRaw(",") }
                render(b, namespace: namespace)
            }
            writer.writeRaw("]")
        case .record(let r):
            guard beginNamed(index, r.name, type: r.isError ? "error" : "record", namespace: namespace) else { return }
            if let doc = r.doc { writeMember("doc", doc) }
            writer.writeRaw(",\"fields\":[")
            for (i, f) in r.fields.enumerated() {
                if i > 0 { writer.writeRaw(",") }
                writer.writeRaw("{\"name\":")
                writer.writeString(f.name)
                writer.writeRaw(",\"type\":")
                render(f.type, namespace: r.name.namespace)
                if let doc = f.doc { writeMember("doc", doc) }
                if let d = f.defaultValue {
                    writer.writeRaw(",\"default\":")
                    writer.write(d)
                }
                if f.order != .ascending { writeMember("order", f.order.rawValue) }
                if !f.aliases.isEmpty {
                    writer.writeRaw(",\"aliases\":")
                    writer.write(.array(f.aliases.map(JSONValue.string)))
                }
                writeProperties(f.properties)
                writer.writeRaw("}")
            }
            writer.writeRaw("]")
            writeProperties(r.properties)
            writeAliases(r.aliases, of: r.name)
            writer.writeRaw("}")
        case .enumeration(let e):
            guard beginNamed(index, e.name, type: "enum", namespace: namespace) else { return }
            if let doc = e.doc { writeMember("doc", doc) }
            writer.writeRaw(",\"symbols\":")
            writer.write(.array(e.symbols.map(JSONValue.string)))
            if let d = e.defaultSymbol { writeMember("default", d) }
            writeProperties(e.properties)
            writeAliases(e.aliases, of: e.name)
            writer.writeRaw("}")
        case .fixed(let f):
            guard beginNamed(index, f.name, type: "fixed", namespace: namespace) else { return }
            if let doc = f.doc { writeMember("doc", doc) }
            writer.writeRaw(",\"size\":\(f.size)")
            writeProperties(f.properties)
            writeAliases(f.aliases, of: f.name)
            writer.writeRaw("}")
        }
    }

    /// Writes a reference and returns false when the type was written before; otherwise opens its object
    /// with `type`, `name` and (when it differs from the enclosing one) `namespace`.
    private mutating func beginNamed(_ index: Int, _ name: AvroSchema.Name, type: String, namespace: String?) -> Bool {
        if written.contains(index) {
            writer.writeString(qualified(name, in: namespace))
            return false
        }
        written.insert(index)
        writer.writeRaw("{\"type\":")
        writer.writeString(type)
        writeMember("name", name.name)
        if name.namespace != namespace {
            writeMember("namespace", name.namespace ?? "")
        }
        return true
    }

    /// Avro Java's `Name.getQualified`: the short name when the type is in `namespace` (unless the short
    /// name would read as a primitive or complex type name), else the full name.
    private func qualified(_ name: AvroSchema.Name, in namespace: String?) -> String {
        if let ns = name.namespace, ns == namespace, !Self.typeNames.contains(name.name) {
            return name.name
        }
        return name.fullName
    }

    private static let typeNames: Set<String> = [
        "record", "enum", "array", "map", "union", "fixed", "string", "bytes", "int", "long", "float", "double", "boolean", "null",
    ]

    private mutating func writeAliases(_ aliases: [String], of name: AvroSchema.Name) {
        guard !aliases.isEmpty else { return }
        writer.writeRaw(",\"aliases\":")
        writer.write(.array(aliases.map { .string(qualified(AvroSchema.Name(fullName: $0), in: name.namespace)) }))
    }

    private mutating func writeMember(_ key: String, _ value: String) {
        writer.writeRaw(",")
        writer.writeString(key)
        writer.writeRaw(":")
        writer.writeString(value)
    }

    private mutating func writeProperties(_ properties: JSONObject) {
        for member in properties {
            writer.writeRaw(",")
            writer.writeString(member.key)
            writer.writeRaw(":")
            writer.write(member.value)
        }
    }
}
