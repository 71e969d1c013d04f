import CanonCore

/// Parses Avro schema JSON into ``AvroSchema`` values, checking every rule of the Avro 1.12 spec.
///
/// One parser can read several schema files in turn: a named type defined by an earlier `parse` call is
/// usable by name in a later one. A failed `parse` leaves the parser as it was before the call.
public struct AvroSchemaParser: Sendable {
    /// The deepest nesting of types a schema may have (named types from other files included). Deeper
    /// schemas are refused, so that every walk over a schema (rendering, checks, codecs) has bounded depth
    /// and every rendering reads back within the JSON reader's depth limit.
    public static let maximumNesting = 128

    private var nodes: [AvroSchema.Node] = []
    private var names: [String: Int] = [:]
    /// Per node: the depth of the types below it (a reference back to a type being defined counts 1).
    private var nesting: [Int] = []
    /// The plan of every node of earlier successful parses, extended by each parse.
    private var plan: CodecPlan?
    /// Defaults are checked once the whole schema is parsed: a default may name a type defined later.
    private var pendingDefaults: [(type: Int, value: JSONValue, path: String, field: String)] = []

    /// Whether a field's default must match the field's type (Avro Java's `validateDefaults`). When
    /// off, a mismatching default is kept as written and reported in ``defaultWarnings``; readers that need
    /// it fail then (the resolver reports such a field as unreadable).
    public var validatesDefaults: Bool

    /// The field defaults of the last parse that do not match their types (only when
    /// ``validatesDefaults`` is off).
    public private(set) var defaultWarnings: [AvroError] = []

    public init(validatesDefaults: Bool = true) {
        self.validatesDefaults = validatesDefaults
    }

    /// Every named type defined so far, by full name.
    public var namedTypes: [String: Int] { names }

    /// Parses schema JSON text. `file` is used in error locations.
    public mutating func parse(_ text: String, file: String? = nil) throws(AvroError) -> AvroSchema {
        let json: JSONValue
        do {
            json = try JSONReader.parse(text)
        } catch {
            throw AvroError(json: error, file: file)
        }
        return try parse(json: json, file: file)
    }

    /// Parses an already-read JSON value.
    public mutating func parse(json: JSONValue, file: String? = nil) throws(AvroError) -> AvroSchema {
        let saved = (nodes, names, nesting)
        pendingDefaults = []
        defaultWarnings = []
        // Repeated keys read as Avro Java reads them (through Jackson): the last value wins.
        let json = json.mergingRepeatedKeys()
        do throws(AvroError) {
            let root = try parseType(json, namespace: nil, path: "")
            try checkNesting(root)
            let extended = CodecPlan(nodes, extending: plan)
            let schema = AvroSchema(nodes: nodes, root: root, namedTypes: names, plan: extended)
            for pending in pendingDefaults {
                do throws(AvroError) {
                    _ = try AvroJSON.decodeDefault(pending.value, schema: schema.rooted(at: pending.type))
                } catch {
                    var problem = AvroError.schema(
                        .invalidDefault, "invalid default for field '\(pending.field)': \(error.message)", path: pending.path)
                    if validatesDefaults { throw problem }
                    if let file { problem = problem.inFile(file) }
                    defaultWarnings.append(problem)
                }
            }
            plan = extended
            return schema
        } catch {
            (nodes, names, nesting) = saved
            throw file.map { error.inFile($0) } ?? error
        }
    }

    // MARK: - Nesting

    /// Computes the nesting depth of the nodes this parse added (children before parents, without
    /// recursion) and refuses a schema nested deeper than `maximumNesting`.
    private mutating func checkNesting(_ root: Int) throws(AvroError) {
        let first = nesting.count
        nesting += [Int](repeating: 0, count: nodes.count - first)
        // Nodes are appended before their children, except records (placeholder first): a depth-first
        // walk with an explicit stack handles both.
        var state = [UInt8](repeating: 0, count: nodes.count - first)  // 0 new, 1 open, 2 done
        func children(_ i: Int) -> [Int] {
            switch nodes[i] {
            case .record(let r): return r.fields.map(\.type)
            case .array(let items, _): return [items]
            case .map(let values, _): return [values]
            case .union(let branches): return branches
            default: return []
            }
        }
        for start in first..<nodes.count where state[start - first] == 0 {
            var stack: [(node: Int, expanded: Bool)] = [(start, false)]
            while let (node, expanded) = stack.popLast() {
                if expanded {
                    let depth = 1 + (children(node).map { c in c < first || state[c - first] == 2 ? nesting[c] : 0 }.max() ?? 0)
                    nesting[node] = depth
                    state[node - first] = 2
                    if depth > Self.maximumNesting {
                        throw .schema("types nest more than \(Self.maximumNesting) deep (named types from other files included)", path: "")
                    }
                    continue
                }
                guard state[node - first] == 0 else { continue }
                state[node - first] = 1
                stack.append((node, true))
                for c in children(node) where c >= first && state[c - first] == 0 { stack.append((c, false)) }
            }
        }
    }

    // MARK: - Types

    private static let schemaReserved: Set<String> = [
        "doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases",
    ]
    private static let fieldReserved: Set<String> = ["default", "doc", "name", "order", "type", "aliases"]

    private mutating func parseType(_ json: JSONValue, namespace: String?, path: String) throws(AvroError) -> Int {
        switch json {
        case .string(let name):
            return try resolve(name, namespace: namespace, path: path)
        case .array(let branches):
            return try parseUnion(branches, namespace: namespace, path: path)
        case .object(let object):
            guard let typeValue = object["type"] else {
                throw .schema("missing \"type\" in schema object", path: path)
            }
            guard case .string(let type) = typeValue else {
                throw .schema("\"type\" must be a type name string, found \(typeValue.typeName)", path: path + "/type")
            }
            switch type {
            case "record", "error": return try parseRecord(object, isError: type == "error", namespace: namespace, path: path)
            case "enum": return try parseEnum(object, namespace: namespace, path: path)
            case "fixed": return try parseFixed(object, namespace: namespace, path: path)
            case "array":
                guard let items = object["items"] else { throw .schema("array schema without \"items\"", path: path) }
                let itemType = try parseType(items, namespace: namespace, path: path + "/items")
                return append(.array(items: itemType, attributes(object, reserved: Self.schemaReserved, underlying: nil)))
            case "map":
                guard let values = object["values"] else { throw .schema("map schema without \"values\"", path: path) }
                let valueType = try parseType(values, namespace: namespace, path: path + "/values")
                return append(.map(values: valueType, attributes(object, reserved: Self.schemaReserved, underlying: nil)))
            default:
                if let primitive = AvroSchema.Primitive(rawValue: type) {
                    return append(.primitive(primitive, attributes(object, reserved: Self.schemaReserved, underlying: primitive)))
                }
                // `{"type": "SomeName"}`: a reference to a defined named type, as Java accepts.
                return try resolve(type, namespace: namespace, path: path + "/type")
            }
        default:
            throw .schema("a schema must be a type name, an object or a union array, found \(json.typeName)", path: path)
        }
    }

    private mutating func append(_ node: AvroSchema.Node) -> Int {
        nodes.append(node)
        return nodes.count - 1
    }

    private mutating func resolve(_ name: String, namespace: String?, path: String) throws(AvroError) -> Int {
        if let primitive = AvroSchema.Primitive(rawValue: name) {
            return append(.primitive(primitive, AvroSchema.Attributes()))
        }
        if Self.isQualified(name) {
            if let index = names[name] { return index }
        } else {
            if let namespace, let index = names["\(namespace).\(name)"] { return index }
            if let index = names[name] { return index }
        }
        let qualified = (Self.isQualified(name) || namespace == nil) ? name : "\(namespace!).\(name)"
        throw .schema(.unknownType, "unknown type name '\(qualified)' (a named type must be defined before it is used)", path: path)
    }

    private mutating func parseUnion(_ branches: [JSONValue], namespace: String?, path: String) throws(AvroError) -> Int {
        var indexes: [Int] = []
        var seen: [String: Int] = [:]
        for (i, branch) in branches.enumerated() {
            let branchPath = "\(path)/\(i)"
            if case .array = branch {
                throw .schema("a union may not immediately contain another union", path: branchPath)
            }
            let index = try parseType(branch, namespace: namespace, path: branchPath)
            let node = nodes[index]
            if case .union = node {
                throw .schema("a union may not immediately contain another union", path: branchPath)
            }
            let key = node.name?.fullName ?? node.typeName
            if let earlier = seen[key] {
                throw .schema(
                    "union branches \(earlier) and \(i) are both '\(key)' (a union may hold each type once, named types once per name)",
                    path: branchPath)
            }
            seen[key] = i
            indexes.append(index)
        }
        return append(.union(indexes))
    }

    // MARK: - Named types

    private mutating func parseName(_ object: JSONObject, namespace: String?, path: String) throws(AvroError) -> AvroSchema.Name {
        guard let nameValue = object["name"] else { throw .schema("named type without \"name\"", path: path) }
        guard case .string(let rawName) = nameValue else {
            throw .schema("\"name\" must be a string, found \(nameValue.typeName)", path: path + "/name")
        }
        var ownNamespace = namespace
        if let ns = object["namespace"] {
            switch ns {
            case .string(let s): ownNamespace = s.isEmpty ? nil : s
            case .null: break
            default: throw .schema("\"namespace\" must be a string, found \(ns.typeName)", path: path + "/namespace")
            }
        }
        let name = Self.isQualified(rawName) ? AvroSchema.Name(fullName: rawName) : AvroSchema.Name(name: rawName, namespace: ownNamespace)
        try Self.checkName(name.name, what: "name", path: path + "/name")
        if let ns = name.namespace {
            for part in ns.split(separator: ".", omittingEmptySubsequences: false) {
                try Self.checkName(
                    String(part), what: "namespace component", path: path + (Self.isQualified(rawName) ? "/name" : "/namespace"))
            }
        }
        if AvroSchema.Primitive(rawValue: name.fullName) != nil {
            throw .schema(.redefinedName, "'\(name.fullName)' is a primitive type name and cannot name a type", path: path + "/name")
        }
        if names[name.fullName] != nil {
            throw .schema(.redefinedName, "'\(name.fullName)' is already defined (a named type is defined once)", path: path + "/name")
        }
        return name
    }

    /// Whether a name has a namespace part (a byte test: with Foundation imported, `contains(".")` is
    /// NSString's `range(of:)`, which cost a lookup 7% of its time).
    static func isQualified(_ name: String) -> Bool {
        name.utf8.contains(UInt8(ascii: "."))
    }

    static func checkName(_ name: String, what: String, path: String) throws(AvroError) {
        var valid = !name.isEmpty
        for (i, c) in name.utf8.enumerated() where valid {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"): break
            case UInt8(ascii: "0")...UInt8(ascii: "9"): valid = i > 0
            default: valid = false
            }
        }
        guard valid else {
            throw .schema(.invalidName, "invalid \(what) '\(name)': must match [A-Za-z_][A-Za-z0-9_]*", path: path)
        }
    }

    private func optionalString(_ object: JSONObject, _ key: String, path: String) throws(AvroError) -> String? {
        guard let value = object[key] else { return nil }
        switch value {
        case .string(let s): return s
        case .null: return nil
        default: throw .schema("\"\(key)\" must be a string, found \(value.typeName)", path: "\(path)/\(key)")
        }
    }

    private func aliases(_ object: JSONObject, of name: AvroSchema.Name?, path: String) throws(AvroError) -> [String] {
        guard let value = object["aliases"] else { return [] }
        guard case .array(let items) = value else {
            if case .null = value { return [] }
            throw .schema("\"aliases\" must be an array of strings, found \(value.typeName)", path: path + "/aliases")
        }
        var result: [String] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            guard case .string(let alias) = item else {
                throw .schema("alias must be a string, found \(item.typeName)", path: "\(path)/aliases/\(i)")
            }
            // Type aliases are relative to the namespace of the name they alias. Repeats are dropped
            // (Avro Java keeps aliases in a set).
            let full = if let name, !Self.isQualified(alias), let ns = name.namespace { "\(ns).\(alias)" } else { alias }
            if seen.insert(full).inserted { result.append(full) }
        }
        return result
    }

    private func properties(_ object: JSONObject, reserved: Set<String>) -> JSONObject {
        var props = JSONObject()
        for member in object where !reserved.contains(member.key) {
            props.append(member.key, member.value)
        }
        return props
    }

    private mutating func parseRecord(_ object: JSONObject, isError: Bool, namespace: String?, path: String) throws(AvroError) -> Int {
        let name = try parseName(object, namespace: namespace, path: path)
        let doc = try optionalString(object, "doc", path: path)
        let aliases = try aliases(object, of: name, path: path)
        guard let fieldsValue = object["fields"] else { throw .schema("record '\(name)' without \"fields\"", path: path) }
        guard case .array(let fieldsJSON) = fieldsValue else {
            throw .schema("\"fields\" must be an array, found \(fieldsValue.typeName)", path: path + "/fields")
        }
        // Define the name before the fields so that they can refer to the record itself.
        let index = append(
            .record(
                AvroSchema.Record(
                    name: name, doc: doc, aliases: aliases, fields: [],
                    properties: properties(object, reserved: Self.schemaReserved), isError: isError)))
        names[name.fullName] = index

        var fields: [AvroSchema.Field] = []
        var fieldNames = Set<String>()
        for (i, fieldJSON) in fieldsJSON.enumerated() {
            let fieldPath = "\(path)/fields/\(i)"
            guard case .object(let f) = fieldJSON else {
                throw .schema("a field must be an object, found \(fieldJSON.typeName)", path: fieldPath)
            }
            guard let fieldNameValue = f["name"] else { throw .schema("field without \"name\"", path: fieldPath) }
            guard case .string(let fieldName) = fieldNameValue else {
                throw .schema("field \"name\" must be a string", path: fieldPath + "/name")
            }
            try Self.checkName(fieldName, what: "field name", path: fieldPath + "/name")
            guard fieldNames.insert(fieldName).inserted else {
                throw .schema(.duplicateField, "duplicate field '\(fieldName)' in record '\(name)'", path: fieldPath + "/name")
            }
            guard let typeJSON = f["type"] else { throw .schema("field '\(fieldName)' without \"type\"", path: fieldPath) }
            let type = try parseType(typeJSON, namespace: name.namespace, path: fieldPath + "/type")
            var order = AvroSchema.Order.ascending
            if let orderValue = f["order"] {
                guard case .string(let o) = orderValue, let parsed = AvroSchema.Order(rawValue: o.lowercased()) else {
                    throw .schema("field \"order\" must be \"ascending\", \"descending\" or \"ignore\"", path: fieldPath + "/order")
                }
                order = parsed
            }
            let defaultValue = f["default"]
            if let defaultValue {
                pendingDefaults.append((type, defaultValue, fieldPath + "/default", fieldName))
            }
            fields.append(
                AvroSchema.Field(
                    name: fieldName, type: type,
                    doc: try optionalString(f, "doc", path: fieldPath),
                    defaultValue: defaultValue, order: order,
                    aliases: try self.aliases(f, of: nil, path: fieldPath),
                    properties: properties(f, reserved: Self.fieldReserved)))
        }
        guard case .record(var record) = nodes[index] else { preconditionFailure("record placeholder replaced") }
        record.fields = fields
        nodes[index] = .record(record)
        return index
    }

    private mutating func parseEnum(_ object: JSONObject, namespace: String?, path: String) throws(AvroError) -> Int {
        let name = try parseName(object, namespace: namespace, path: path)
        guard let symbolsValue = object["symbols"] else { throw .schema("enum '\(name)' without \"symbols\"", path: path) }
        guard case .array(let symbolsJSON) = symbolsValue else {
            throw .schema("\"symbols\" must be an array of strings", path: path + "/symbols")
        }
        var symbols: [String] = []
        var seen = Set<String>()
        for (i, s) in symbolsJSON.enumerated() {
            guard case .string(let symbol) = s else {
                throw .schema("enum symbol must be a string, found \(s.typeName)", path: "\(path)/symbols/\(i)")
            }
            try Self.checkName(symbol, what: "enum symbol", path: "\(path)/symbols/\(i)")
            guard seen.insert(symbol).inserted else {
                throw .schema("duplicate enum symbol '\(symbol)' in enum '\(name)'", path: "\(path)/symbols/\(i)")
            }
            symbols.append(symbol)
        }
        var defaultSymbol: String?
        if let d = object["default"] {
            guard case .string(let s) = d, seen.contains(s) else {
                throw .schema(
                    .invalidDefault, "enum default \(d.jsonText) is not one of the symbols of enum '\(name)'", path: path + "/default")
            }
            defaultSymbol = s
        }
        var reserved = Self.schemaReserved
        reserved.insert("default")
        let index = append(
            .enumeration(
                AvroSchema.Enumeration(
                    name: name, doc: try optionalString(object, "doc", path: path),
                    aliases: try aliases(object, of: name, path: path),
                    symbols: symbols, defaultSymbol: defaultSymbol,
                    properties: properties(object, reserved: reserved))))
        names[name.fullName] = index
        return index
    }

    private mutating func parseFixed(_ object: JSONObject, namespace: String?, path: String) throws(AvroError) -> Int {
        let name = try parseName(object, namespace: namespace, path: path)
        guard let sizeValue = object["size"] else { throw .schema("fixed '\(name)' without \"size\"", path: path) }
        guard case .int(let size) = sizeValue, size >= 0, size <= Int64(Int32.max) else {
            throw .schema("fixed \"size\" must be a non-negative integer, found \(sizeValue.jsonText)", path: path + "/size")
        }
        let props = properties(object, reserved: Self.schemaReserved)
        let index = append(
            .fixed(
                AvroSchema.Fixed(
                    name: name, doc: try optionalString(object, "doc", path: path),
                    aliases: try aliases(object, of: name, path: path),
                    size: Int(size), logicalType: Self.logicalType(props, underlying: .fixed(size: Int(size))),
                    properties: props)))
        names[name.fullName] = index
        return index
    }

    // MARK: - Logical types

    enum Underlying {
        case primitive(AvroSchema.Primitive)
        case fixed(size: Int)
    }

    private func attributes(_ object: JSONObject, reserved: Set<String>, underlying: AvroSchema.Primitive?) -> AvroSchema.Attributes {
        let props = properties(object, reserved: reserved)
        return AvroSchema.Attributes(
            logicalType: underlying.flatMap { Self.logicalType(props, underlying: .primitive($0)) }, properties: props)
    }

    /// The logical type the properties declare, or `nil` when there is none, it is unknown, or it is
    /// invalid for the underlying type (the spec says readers then use the underlying type).
    static func logicalType(_ props: JSONObject, underlying: Underlying) -> AvroSchema.LogicalType? {
        guard case .string(let name)? = props["logicalType"] else { return nil }
        func on(_ p: AvroSchema.Primitive) -> Bool {
            if case .primitive(p) = underlying { return true }
            return false
        }
        switch name {
        case "decimal":
            guard case .int(let precision)? = props["precision"], precision > 0 else { return nil }
            var scale: Int64 = 0
            if let s = props["scale"] {
                guard case .int(let v) = s, v >= 0 else { return nil }
                scale = v
            }
            guard scale <= precision else { return nil }
            switch underlying {
            case .primitive(.bytes): break
            case .fixed(let size):
                guard size > 0, precision <= maxDecimalPrecision(fixedSize: size) else { return nil }
            default: return nil
            }
            return .decimal(precision: Int(precision), scale: Int(scale))
        case "big-decimal": return on(.bytes) ? .bigDecimal : nil
        case "uuid":
            if on(.string) { return .uuid }
            if case .fixed(16) = underlying { return .uuid }
            return nil
        case "date": return on(.int) ? .date : nil
        case "time-millis": return on(.int) ? .timeMillis : nil
        case "time-micros": return on(.long) ? .timeMicros : nil
        case "timestamp-millis": return on(.long) ? .timestampMillis : nil
        case "timestamp-micros": return on(.long) ? .timestampMicros : nil
        case "timestamp-nanos": return on(.long) ? .timestampNanos : nil
        case "local-timestamp-millis": return on(.long) ? .localTimestampMillis : nil
        case "local-timestamp-micros": return on(.long) ? .localTimestampMicros : nil
        case "local-timestamp-nanos": return on(.long) ? .localTimestampNanos : nil
        case "duration":
            if case .fixed(12) = underlying { return .duration }
            return nil
        default: return nil
        }
    }

    /// floor(log10(2^(8n-1) - 1)): the most decimal digits a signed n-byte integer always holds.
    static func maxDecimalPrecision(fixedSize n: Int) -> Int64 {
        // log10(2^(8n-1) - 1) for n > 0; for large n the -1 does not change the floor.
        if n >= 8 {
            return Int64((Double(8 * n - 1) * 0.30102999566398120).rounded(.down))
        }
        let max = (UInt64(1) << UInt64(8 * n - 1)) - 1
        var digits: Int64 = 0
        var v = max
        while v >= 10 {
            v /= 10
            digits += 1
        }
        return digits
    }
}
