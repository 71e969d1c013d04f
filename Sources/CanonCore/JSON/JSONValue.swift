/// A JSON document held exactly as written: integers keep every digit over the whole
/// `Int64`/`UInt64` range, doubles round-trip, and object members keep their order.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// An integer literal that fits `Int64`.
    case int(Int64)
    /// A non-negative integer literal above `Int64.max` that fits `UInt64`.
    case uint(UInt64)
    /// Any other number: a fraction, an exponent, or an integer beyond `UInt64`.
    /// `NaN` and `±Infinity` are read and written as the bare tokens Jackson and Python use.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    /// The member named `key` when this is an object, else `nil`.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The string when this is a JSON string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer when this is an integer literal that fits `Int64`.
    public var int64Value: Int64? {
        if case .int(let v) = self { return v }
        return nil
    }

    /// The numeric value of any JSON number as a `Double`.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .uint(let v): return Double(v)
        case .double(let v): return v
        default: return nil
        }
    }

    /// The name of the JSON type (`"object"`, `"string"`, ...), for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .uint, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The same value with repeated object keys merged as Jackson (and so Avro Java) reads them: one
    /// member per key, at the key's first position, holding its last value. Applied at every depth.
    public func mergingRepeatedKeys() -> JSONValue {
        hasRepeatedKeys ? merged() : self
    }

    /// Whether some object, at any depth, repeats a key (small objects, as in schemas, are checked
    /// pairwise without allocating; larger ones with a set, so a hostile one costs linear time).
    var hasRepeatedKeys: Bool {
        switch self {
        case .array(let items): return items.contains { $0.hasRepeatedKeys }
        case .object(let object):
            let members = object.members
            if members.contains(where: { $0.value.hasRepeatedKeys }) { return true }
            if members.count > 16 {
                var seen = Set<String>(minimumCapacity: members.count)
                return members.contains { !seen.insert($0.key).inserted }
            }
            for i in members.indices {
                for j in members.indices where j > i && members[j].key == members[i].key { return true }
            }
            return false
        default: return false
        }
    }

    private func merged() -> JSONValue {
        switch self {
        case .array(let items): return .array(items.map { $0.merged() })
        case .object(let object):
            var merged = JSONObject()
            var position: [String: Int] = [:]
            for member in object {
                let value = member.value.merged()
                if let i = position[member.key] {
                    merged.members[i].value = value
                } else {
                    position[member.key] = merged.members.count
                    merged.members.append((member.key, value))
                }
            }
            return .object(merged)
        default: return self
        }
    }

    /// Compact JSON text.
    public var jsonText: String {
        var writer = JSONWriter()
        writer.write(self)
        return writer.text
    }

    /// JSON text indented by two spaces a level, ending in a newline (see ``JSONWriter/writeIndented(_:level:)``).
    public var indentedText: String {
        var writer = JSONWriter()
        writer.writeIndented(self)
        return writer.text + "\n"
    }
}

/// A JSON object whose members keep the order they were read or inserted in.
///
/// Lookup is a linear scan: schema and datum objects are small, and order matters more than speed here.
/// A repeated key keeps its first position; `subscript` reads the last value given for it.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public internal(set) var members: [(key: String, value: JSONValue)]

    public init() { members = [] }
    public init(_ members: [(key: String, value: JSONValue)]) { self.members = members }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = elements.map { (key: $0.0, value: $0.1) }
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get {
            for member in members.reversed() where member.key == key { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// Appends a member without looking for an earlier one of the same name.
    public mutating func append(_ key: String, _ value: JSONValue) {
        members.append((key, value))
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    /// Objects are equal when they have the same members in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (l, r) in zip(lhs.members, rhs.members) where l.key != r.key || l.value != r.value {
            return false
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for member in members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}
