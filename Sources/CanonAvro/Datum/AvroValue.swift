/// A generic Avro datum: any value of any schema, without generated types.
///
/// Records and maps keep their entries in order (schema order for records, wire or JSON input order for
/// maps) and encode in that order. A union value carries its branch index so it re-encodes exactly.
/// Logical types are held as their underlying type.
///
/// Only the union case is boxed; scalars, strings and collections are stored inline, so decoding a
/// datum allocates no more than its strings, bytes and collections need.
public enum AvroValue: Sendable, Hashable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string(String)
    case fixed([UInt8])
    /// An enum symbol.
    case enumSymbol(String)
    case array([AvroValue])
    case map(AvroMap<AvroValue>)
    /// A record's fields by name, in schema order.
    case record(AvroMap<AvroValue>)
    /// The branch index of the union, and the value of that branch.
    indirect case union(branch: Int, AvroValue)
}

extension AvroValue {
    /// The value of record field `name`, or of map key `name`.
    public subscript(name: String) -> AvroValue? {
        switch self {
        case .record(let fields), .map(let fields): return fields[name]
        case .union(_, let v): return v[name]
        default: return nil
        }
    }

    /// Short description of the kind of value, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .boolean: return "boolean"
        case .int: return "int"
        case .long: return "long"
        case .float: return "float"
        case .double: return "double"
        case .bytes: return "bytes"
        case .string: return "string"
        case .fixed: return "fixed"
        case .enumSymbol: return "enum"
        case .array: return "array"
        case .map: return "map"
        case .record: return "record"
        case .union: return "union"
        }
    }
}
