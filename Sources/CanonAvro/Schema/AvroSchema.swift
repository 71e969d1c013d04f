import CanonCore

/// A parsed, valid Avro schema.
///
/// The schema is a graph held in a table of ``AvroSchema/Node``s that refer to each other by index, so
/// recursive types are ordinary values (`Sendable`, no reference cycles). `root` is the schema's own
/// type; the table may hold more types when several schema files were parsed together
/// (see ``AvroSchemaParser``).
public struct AvroSchema: Sendable {
    /// Every type known to the parser that produced this schema, referenced by index.
    public let nodes: [Node]
    /// The index of this schema's type in `nodes`.
    public let root: Int
    /// Full name -> index in `nodes`, for every named type known to the parser.
    public let namedTypes: [String: Int]
    /// The flat form of `nodes` that the generic binary codec walks.
    let plan: CodecPlan

    init(nodes: [Node], root: Int, namedTypes: [String: Int], plan: CodecPlan? = nil) {
        self.nodes = nodes
        self.root = root
        self.namedTypes = namedTypes
        self.plan = plan ?? CodecPlan(nodes)
    }

    /// Parses one self-contained schema from its JSON text.
    public init(parsing text: String) throws(AvroError) {
        var parser = AvroSchemaParser()
        self = try parser.parse(text)
    }

    /// The root node.
    public var rootNode: Node { nodes[root] }

    /// The node at `index`.
    public subscript(index: Int) -> Node { nodes[index] }

    /// The same schema table with another type as its root.
    public func rooted(at index: Int) -> AvroSchema {
        AvroSchema(nodes: nodes, root: index, namedTypes: namedTypes, plan: plan)
    }

    /// The named type with this full name, as a schema of its own.
    public func namedType(_ fullName: String) -> AvroSchema? {
        namedTypes[fullName].map(rooted(at:))
    }
}

extension AvroSchema {
    /// The eight primitive types.
    public enum Primitive: String, Sendable, Hashable, CaseIterable {
        case null, boolean, int, long, float, double, bytes, string
    }

    /// A name with its namespace (`nil` for the null namespace).
    public struct Name: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var namespace: String?

        public init(name: String, namespace: String?) {
            self.name = name
            self.namespace = (namespace?.isEmpty ?? true) ? nil : namespace
        }

        /// Parses a full name (`a.b.C`) into namespace and name.
        public init(fullName: String) {
            if let dot = fullName.lastIndex(of: ".") {
                self.init(name: String(fullName[fullName.index(after: dot)...]), namespace: String(fullName[..<dot]))
            } else {
                self.init(name: fullName, namespace: nil)
            }
        }

        public var fullName: String { namespace.map { "\($0).\(name)" } ?? name }
        public var description: String { fullName }
    }

    /// A type in the schema table.
    public enum Node: Sendable, Hashable {
        case primitive(Primitive, Attributes)
        case record(Record)
        case enumeration(Enumeration)
        case fixed(Fixed)
        case array(items: Int, Attributes)
        case map(values: Int, Attributes)
        case union([Int])

        /// The Avro type name: `"int"`, `"record"`, `"array"`, ... (`"union"` for unions).
        public var typeName: String {
            switch self {
            case .primitive(let p, _): return p.rawValue
            case .record: return "record"
            case .enumeration: return "enum"
            case .fixed: return "fixed"
            case .array: return "array"
            case .map: return "map"
            case .union: return "union"
            }
        }

        /// The full name of a record, enum or fixed.
        public var name: Name? {
            switch self {
            case .record(let r): return r.name
            case .enumeration(let e): return e.name
            case .fixed(let f): return f.name
            default: return nil
            }
        }

        /// The valid logical type, if any (an invalid one is ignored, as the spec says).
        public var logicalType: LogicalType? {
            switch self {
            case .primitive(_, let a), .array(_, let a), .map(_, let a): return a.logicalType
            case .fixed(let f): return f.logicalType
            default: return nil
            }
        }
    }

    /// Logical type and extra properties of an unnamed type.
    public struct Attributes: Sendable, Hashable {
        /// The valid logical type; `nil` when there is none or it is invalid for the underlying type.
        public var logicalType: LogicalType?
        /// Every attribute that is not part of the type's structure, in schema order
        /// (`logicalType`, `precision`, custom properties, ...).
        public var properties: JSONObject

        public init(logicalType: LogicalType? = nil, properties: JSONObject = JSONObject()) {
            self.logicalType = logicalType
            self.properties = properties
        }
    }

    /// A record type.
    public struct Record: Sendable, Hashable {
        public var name: Name
        public var doc: String?
        /// Full names of the aliases.
        public var aliases: [String]
        public var fields: [Field]
        public var properties: JSONObject
        /// Declared with `"type": "error"` (Avro protocols); otherwise identical to a record.
        public var isError: Bool

        /// The index of the field named `name`.
        public func fieldIndex(named name: String) -> Int? { fields.firstIndex { $0.name == name } }
    }

    /// A field of a record.
    public struct Field: Sendable, Hashable {
        public var name: String
        /// Index of the field's type in the schema table.
        public var type: Int
        public var doc: String?
        /// The default as written in the schema (a union default is not wrapped).
        public var defaultValue: JSONValue?
        public var order: Order
        public var aliases: [String]
        public var properties: JSONObject
    }

    /// Sort order of a field.
    public enum Order: String, Sendable, Hashable {
        case ascending, descending, ignore
    }

    /// An enum type.
    public struct Enumeration: Sendable, Hashable {
        public var name: Name
        public var doc: String?
        public var aliases: [String]
        public var symbols: [String]
        /// The symbol readers use for a writer symbol they do not know.
        public var defaultSymbol: String?
        public var properties: JSONObject
    }

    /// A fixed-size type.
    public struct Fixed: Sendable, Hashable {
        public var name: Name
        public var doc: String?
        public var aliases: [String]
        public var size: Int
        public var logicalType: LogicalType?
        public var properties: JSONObject
    }

    /// Avro 1.12 logical types.
    public enum LogicalType: Sendable, Hashable {
        case decimal(precision: Int, scale: Int)
        case bigDecimal
        case uuid
        case date
        case timeMillis
        case timeMicros
        case timestampMillis
        case timestampMicros
        case timestampNanos
        case localTimestampMillis
        case localTimestampMicros
        case localTimestampNanos
        case duration

        /// The `logicalType` attribute's value.
        public var name: String {
            switch self {
            case .decimal: return "decimal"
            case .bigDecimal: return "big-decimal"
            case .uuid: return "uuid"
            case .date: return "date"
            case .timeMillis: return "time-millis"
            case .timeMicros: return "time-micros"
            case .timestampMillis: return "timestamp-millis"
            case .timestampMicros: return "timestamp-micros"
            case .timestampNanos: return "timestamp-nanos"
            case .localTimestampMillis: return "local-timestamp-millis"
            case .localTimestampMicros: return "local-timestamp-micros"
            case .localTimestampNanos: return "local-timestamp-nanos"
            case .duration: return "duration"
            }
        }
    }
}

extension AvroSchema {
    /// Follows single-node indirections: returns the node itself (named references are already indexes).
    @inlinable
    public func node(_ index: Int) -> Node { nodes[index] }

    /// The name used for a branch of a union in Avro's JSON encoding and in error messages:
    /// the full name of a named type, else the type name.
    public func branchName(_ index: Int) -> String {
        let node = nodes[index]
        return node.name?.fullName ?? node.typeName
    }

    /// Every named type reachable from the root, in definition order (depth-first, as written).
    public var reachableNamedTypes: [Int] {
        var seen = Set<Int>()
        var order: [Int] = []
        func visit(_ i: Int) {
            switch nodes[i] {
            case .record(let r):
                guard seen.insert(i).inserted else { return }
                order.append(i)
                for f in r.fields { visit(f.type) }
            case .enumeration, .fixed:
                if seen.insert(i).inserted { order.append(i) }
            case .array(let items, _): visit(items)
            case .map(let values, _): visit(values)
            case .union(let branches): branches.forEach(visit)
            case .primitive: break
            }
        }
        visit(root)
        return order
    }
}
