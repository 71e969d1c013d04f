import CanonCore

/// Avro's JSON encoding of datums, in both directions, exactly as the specification defines it:
/// a union value is `null` or `{"<branch type name>": value}` (full names for named types), bytes and
/// fixed are strings whose code points 0–255 are the bytes, logical types appear as their underlying type.
public enum AvroJSON {
    /// Reads a datum from its Avro JSON encoding. A record field missing from the JSON takes its
    /// schema default when it has one.
    public static func decode(_ json: JSONValue, schema: AvroSchema) throws(AvroError) -> AvroValue {
        var decoder = Decoder(schema: schema, unionsWrapped: true)
        return try decoder.decode(json, schema.root, path: "")
    }

    /// Reads a datum from Avro JSON text.
    public static func decode(text: String, schema: AvroSchema) throws(AvroError) -> AvroValue {
        let json: JSONValue
        do {
            json = try JSONReader.parse(text)
        } catch {
            throw AvroError(json: error)
        }
        return try decode(json, schema: schema)
    }

    /// Reads a field default: like a datum, but a union value is not wrapped and may match any branch
    /// (the Avro 1.12 rule; the first branch that accepts the value is used).
    public static func decodeDefault(_ json: JSONValue, schema: AvroSchema) throws(AvroError) -> AvroValue {
        var decoder = Decoder(schema: schema, unionsWrapped: false)
        return try decoder.decode(json, schema.root, path: "")
    }

    /// Writes a datum in Avro's JSON encoding.
    public static func encode(_ value: AvroValue, schema: AvroSchema) throws(AvroError) -> JSONValue {
        try encode(value, schema, schema.root, path: "")
    }

    /// Writes a datum as compact Avro JSON text.
    public static func encodeText(_ value: AvroValue, schema: AvroSchema) throws(AvroError) -> String {
        try encode(value, schema: schema).jsonText
    }

    // MARK: - Decoding

    private struct Decoder {
        let schema: AvroSchema
        /// Datum JSON wraps union values; default JSON does not (any branch may match).
        var unionsWrapped: Bool
        var depth = 0
        /// Field defaults being expanded (record node, field index): a default that needs itself to
        /// be complete (`{"name":"a","type":"R","default":{}}` in record R) is an error, not a loop.
        var defaultsInProgress: Set<FieldKey> = []
        /// The default being expanded now (nil: the datum itself).
        var currentDefault: FieldKey?
        /// Each field default decoded once, whatever number of paths need it: expansion stays linear in
        /// the schema's size even when records are shared.
        var fieldDefaults: [FieldKey: Result<AvroValue, AvroError>] = [:]
        /// Unwrapped-union results by (node, path, default being expanded): a key names one JSON value,
        /// so trying every branch of nested unions stays linear.
        var unwrappedResults: [NodeAtPath: AvroValue?] = [:]

        struct FieldKey: Hashable { var record: Int; var field: Int }
        struct NodeAtPath: Hashable { var node: Int; var path: String; var context: FieldKey? }

        init(schema: AvroSchema, unionsWrapped: Bool) {
            self.schema = schema
            self.unionsWrapped = unionsWrapped
        }

        mutating func decode(_ json: JSONValue, _ index: Int, path: String) throws(AvroError) -> AvroValue {
            func fail(_ message: String) -> AvroError {
                AvroError(.datumMismatch, message, location: AvroError.Location(jsonPath: path.isEmpty ? "/" : path))
            }
            func mismatch(_ expected: String) -> AvroError {
                fail("expected \(expected), found JSON \(json.typeName) \(abbreviated(json))")
            }
            depth += 1
            defer { depth -= 1 }
            guard depth <= JSONReader.maximumDepth else { throw fail("datum nested too deeply") }

            switch schema.nodes[index] {
            case .primitive(let p, _):
                switch (p, json) {
                case (.null, .null): return .null
                case (.boolean, .bool(let b)): return .boolean(b)
                case (.int, .int(let v)):
                    guard let i = Int32(exactly: v) else { throw fail("\(v) is out of range for int") }
                    return .int(i)
                case (.long, .int(let v)): return .long(v)
                case (.float, _), (.double, _):
                    let d: Double
                    switch json {
                    case .int(let v): d = Double(v)
                    case .uint(let v): d = Double(v)
                    case .double(let v): d = v
                    case .string("NaN"): d = .nan
                    case .string("Infinity"): d = .infinity
                    case .string("-Infinity"): d = -.infinity
                    default: throw mismatch(p.rawValue)
                    }
                    return p == .float ? .float(Float(d)) : .double(d)
                case (.bytes, .string(let s)): return .bytes(try latin1Bytes(s, fail))
                case (.string, .string(let s)): return .string(s)
                default: throw mismatch(p.rawValue)
                }
            case .fixed(let f):
                guard case .string(let s) = json else { throw mismatch("fixed '\(f.name)'") }
                let bytes = try latin1Bytes(s, fail)
                guard bytes.count == f.size else {
                    throw fail("fixed '\(f.name)' needs \(f.size) bytes, found \(bytes.count)")
                }
                return .fixed(bytes)
            case .enumeration(let e):
                guard case .string(let s) = json else { throw mismatch("enum '\(e.name)'") }
                guard e.symbols.contains(s) else { throw fail("'\(s)' is not a symbol of enum '\(e.name)'") }
                return .enumSymbol(s)
            case .array(let itemType, _):
                guard case .array(let items) = json else { throw mismatch("array") }
                var values: [AvroValue] = []
                values.reserveCapacity(items.count)
                for (i, item) in items.enumerated() {
                    values.append(try decode(item, itemType, path: "\(path)/\(i)"))
                }
                return .array(values)
            case .map(let valueType, _):
                guard case .object(let object) = json else { throw mismatch("map") }
                var map = AvroMap<AvroValue>(minimumCapacity: object.count)
                for member in object {
                    map.append(
                        key: member.key, value: try decode(member.value, valueType, path: "\(path)/\(JSONPointer.escape(member.key))"))
                }
                return .map(map)
            case .record(let r):
                guard case .object(let object) = json else { throw mismatch("record '\(r.name)'") }
                var fields = AvroMap<AvroValue>(minimumCapacity: r.fields.count)
                for (i, f) in r.fields.enumerated() {
                    let fieldPath = "\(path)/\(JSONPointer.escape(f.name))"
                    if let v = object[f.name] {
                        fields.append(key: f.name, value: try decode(v, f.type, path: fieldPath))
                    } else if let d = f.defaultValue {
                        fields.append(
                            key: f.name,
                            value: try fieldDefault(d, record: index, field: i, type: f.type, path: fieldPath) {
                                "the default of field '\(f.name)' of record '\(r.name)' needs itself to be complete"
                            })
                    } else {
                        throw fail("record '\(r.name)' is missing field '\(f.name)', which has no default")
                    }
                }
                return .record(fields)
            case .union(let branches):
                if !unionsWrapped {
                    for (b, branch) in branches.enumerated() where Self.mayMatch(json, schema.nodes[branch]) {
                        let key = NodeAtPath(node: branch, path: path, context: currentDefault)
                        if let known = unwrappedResults[key] {
                            if let v = known { return .union(branch: b, v) }
                            continue
                        }
                        let v = try? decode(json, branch, path: path)
                        unwrappedResults[key] = .some(v)
                        if let v { return .union(branch: b, v) }
                    }
                    throw fail(
                        "\(abbreviated(json)) matches no branch of union [\(branches.map(schema.branchName).joined(separator: ", "))]")
                }
                if case .null = json {
                    guard
                        let b = branches.firstIndex(where: {
                            if case .primitive(.null, _) = schema.nodes[$0] { return true } else { return false }
                        })
                    else {
                        throw fail("null is not a branch of union [\(branches.map(schema.branchName).joined(separator: ", "))]")
                    }
                    return .union(branch: b, .null)
                }
                guard case .object(let object) = json, object.count == 1, let member = object.members.first else {
                    throw mismatch("a union value as null or {\"<type name>\": value}")
                }
                guard let b = branchIndex(named: member.key, in: branches) else {
                    throw fail("'\(member.key)' is not a branch of union [\(branches.map(schema.branchName).joined(separator: ", "))]")
                }
                return .union(branch: b, try decode(member.value, branches[b], path: "\(path)/\(JSONPointer.escape(member.key))"))
            }
        }

        /// The value of a field's default, decoded on first use and remembered (failures too).
        mutating func fieldDefault(_ json: JSONValue, record: Int, field: Int, type: Int, path: String, cycle: () -> String)
            throws(AvroError) -> AvroValue
        {
            let key = FieldKey(record: record, field: field)
            if let known = fieldDefaults[key] { return try known.get() }
            guard defaultsInProgress.insert(key).inserted else {
                throw AvroError(.datumMismatch, cycle(), location: AvroError.Location(jsonPath: path))
            }
            let saved = (unionsWrapped, currentDefault)
            unionsWrapped = false
            currentDefault = key
            let result: Result<AvroValue, AvroError>
            do {
                result = .success(try decode(json, type, path: path))
            } catch {
                result = .failure(error)
            }
            (unionsWrapped, currentDefault) = saved
            defaultsInProgress.remove(key)
            fieldDefaults[key] = result
            return try result.get()
        }

        /// Whether a JSON value of this kind can be a value of `node` (a cheap filter before trying a branch).
        static func mayMatch(_ json: JSONValue, _ node: AvroSchema.Node) -> Bool {
            switch (json, node) {
            case (.null, .primitive(.null, _)), (.bool, .primitive(.boolean, _)): return true
            case (.int, .primitive(let p, _)), (.uint, .primitive(let p, _)), (.double, .primitive(let p, _)):
                return p == .int || p == .long || p == .float || p == .double
            case (.string, .primitive(let p, _)): return p == .string || p == .bytes || p == .float || p == .double
            case (.string, .enumeration), (.string, .fixed), (.array, .array), (.object, .map), (.object, .record): return true
            default: return false
            }
        }

        /// The branch whose JSON name is `name`: a full name for named types (a short name is accepted
        /// when it is unambiguous), else the type name.
        func branchIndex(named name: String, in branches: [Int]) -> Int? {
            if let b = branches.firstIndex(where: { schema.branchName($0) == name }) { return b }
            let short = branches.indices.filter { schema.nodes[branches[$0]].name?.name == name }
            return short.count == 1 ? short[0] : nil
        }
    }

    /// Bytes from a JSON string whose code points are 0–255 (Avro's JSON form of bytes and fixed).
    static func latin1Bytes(_ s: String, _ fail: (String) -> AvroError) throws(AvroError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            guard scalar.value <= 0xFF else {
                throw fail("bytes must be written as code points 0–255, found U+\(String(scalar.value, radix: 16, uppercase: true))")
            }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }

    static func latin1String(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(b)) }
        return String(s)
    }

    // MARK: - Encoding

    private static func encode(_ value: AvroValue, _ schema: AvroSchema, _ index: Int, path: String) throws(AvroError) -> JSONValue {
        func mismatch() -> AvroError {
            let node = schema.nodes[index]
            return AvroError(
                .datumMismatch, "expected \(node.name.map { "\(node.typeName) '\($0)'" } ?? node.typeName), found \(value.kindName)",
                location: AvroError.Location(jsonPath: path.isEmpty ? "/" : path))
        }
        switch (schema.nodes[index], value) {
        case (.primitive(.null, _), .null): return .null
        case (.primitive(.boolean, _), .boolean(let b)): return .bool(b)
        case (.primitive(.int, _), .int(let v)): return .int(Int64(v))
        case (.primitive(.long, _), .long(let v)): return .int(v)
        case (.primitive(.long, _), .int(let v)): return .int(Int64(v))
        case (.primitive(.float, _), .float(let v)): return .double(Double(v))
        case (.primitive(.double, _), .double(let v)): return .double(v)
        case (.primitive(.double, _), .float(let v)): return .double(Double(v))
        case (.primitive(.bytes, _), .bytes(let b)): return .string(latin1String(b))
        case (.primitive(.string, _), .string(let s)): return .string(s)
        case (.fixed(let f), .fixed(let b)):
            guard b.count == f.size else { throw mismatch() }
            return .string(latin1String(b))
        case (.enumeration(let e), .enumSymbol(let s)):
            guard e.symbols.contains(s) else { throw mismatch() }
            return .string(s)
        case (.array(let itemType, _), .array(let items)):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                out.append(try encode(item, schema, itemType, path: "\(path)/\(i)"))
            }
            return .array(out)
        case (.map(let valueType, _), .map(let map)):
            var object = JSONObject()
            for (key, item) in map {
                object.append(key, try encode(item, schema, valueType, path: "\(path)/\(JSONPointer.escape(key))"))
            }
            return .object(object)
        case (.record(let r), .record(let fields)):
            var object = JSONObject()
            for f in r.fields {
                guard let v = fields[f.name] else {
                    throw AvroError(
                        .datumMismatch, "record '\(r.name)' value has no field '\(f.name)'",
                        location: AvroError.Location(jsonPath: path.isEmpty ? "/" : path))
                }
                object.append(f.name, try encode(v, schema, f.type, path: "\(path)/\(JSONPointer.escape(f.name))"))
            }
            return .object(object)
        case (.union(let branches), .union(let b, let v)):
            guard b >= 0 && b < branches.count else { throw mismatch() }
            if case .primitive(.null, _) = schema.nodes[branches[b]] {
                guard case .null = v else { throw mismatch() }
                return .null
            }
            let name = schema.branchName(branches[b])
            return .object(JSONObject([(name, try encode(v, schema, branches[b], path: "\(path)/\(JSONPointer.escape(name))"))]))
        default:
            throw mismatch()
        }
    }
}

private func abbreviated(_ json: JSONValue) -> String {
    let text = json.jsonText
    return text.count > 40 ? String(text.prefix(37)) + "..." : text
}
