/// An Avro map: string keys to values, kept in insertion order so that decode -> encode reproduces the
/// bytes, with keyed access and order-insensitive equality.
///
/// Decoding appends entries as they come (a repeated key on the wire is kept, and the last value wins
/// for lookups, as in most Avro implementations); assigning through the subscript replaces a value in
/// place.
public struct AvroMap<Value>: Sequence {
    /// One key/value pair.
    public typealias Entry = (key: String, value: Value)

    /// The entries in insertion order.
    @inlinable public var entries: [Entry] { storage }
    @usableFromInline var storage: [Entry]
    /// Key -> position of its last occurrence; built only once the map grows past
    /// `indexThreshold` entries (small maps are scanned, which is cheaper than hashing).
    @usableFromInline var index: [String: Int]?
    @usableFromInline static var indexThreshold: Int { 16 }

    @inlinable
    public init() {
        storage = []
        index = nil
    }

    /// An empty map with room for `capacity` entries.
    @inlinable
    public init(minimumCapacity capacity: Int) {
        self.init()
        storage.reserveCapacity(capacity)
    }

    @inlinable
    public mutating func reserveCapacity(_ capacity: Int) {
        storage.reserveCapacity(capacity)
    }

    /// The keys in insertion order.
    public var keys: [String] { entries.map(\.key) }
    /// The values in insertion order.
    public var values: [Value] { entries.map(\.value) }

    /// Position of the last occurrence of `key`.
    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        var i = entries.count - 1
        while i >= 0 {
            if entries[i].key == key { return i }
            i -= 1
        }
        return nil
    }

    /// Distinct keys with the position each reads from.
    private var distinct: [String: Int] {
        if let index { return index }
        var d: [String: Int] = [:]
        for (i, e) in entries.enumerated() { d[e.key] = i }
        return d
    }

    /// Number of entries, counting a repeated key each time it was appended.
    @inlinable public var count: Int { storage.count }
    @inlinable public var isEmpty: Bool { storage.isEmpty }

    /// The value for `key` (its last occurrence); assigning replaces it in place or appends a new entry,
    /// assigning `nil` removes every occurrence.
    public subscript(key: String) -> Value? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let newValue {
                if let i = position(of: key) {
                    storage[i].value = newValue
                } else {
                    append(key: key, value: newValue)
                }
            } else if position(of: key) != nil {
                self = AvroMap(uniqueKeysWithValues: entries.lazy.filter { $0.key != key }.map { ($0.key, $0.value) })
            }
        }
    }

    /// The entry at `position` (insertion order).
    public subscript(position position: Int) -> Entry { entries[position] }

    /// Appends an entry without looking for the key first (the decoder's path).
    @inlinable
    public mutating func append(key: String, value: Value) {
        if index != nil || storage.count >= Self.indexThreshold { addToIndex(key) }
        storage.append((key, value))
    }

    /// Records the position `key` is about to take, building the index when the map first grows past
    /// the threshold.
    @usableFromInline
    mutating func addToIndex(_ key: String) {
        if index == nil {
            var d: [String: Int] = [:]
            d.reserveCapacity(storage.count * 2)
            for (i, e) in storage.enumerated() { d[e.key] = i }
            index = d
        }
        index![key] = storage.count
    }

    @inlinable
    public init<S: Sequence>(uniqueKeysWithValues entries: S) where S.Element == (String, Value) {
        self.init()
        for (k, v) in entries { append(key: k, value: v) }
    }

    @inlinable
    public func makeIterator() -> IndexingIterator<[Entry]> {
        storage.makeIterator()
    }
}

extension AvroMap: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(uniqueKeysWithValues: elements)
    }
}

extension AvroMap: Equatable where Value: Equatable {
    /// Maps are equal when they hold the same keys with equal values, in any order.
    public static func == (lhs: AvroMap, rhs: AvroMap) -> Bool {
        let l = lhs.distinct
        guard l.count == rhs.distinct.count else { return false }
        for (key, i) in l {
            guard let j = rhs.position(of: key), lhs.entries[i].value == rhs.entries[j].value else { return false }
        }
        return true
    }
}

extension AvroMap: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) {
        // Order-insensitive: combine per-entry hashes commutatively.
        var sum = 0
        let d = distinct
        for (key, i) in d {
            var h = Hasher()
            h.combine(key)
            h.combine(entries[i].value)
            sum = sum &+ h.finalize()
        }
        hasher.combine(d.count)
        hasher.combine(sum)
    }
}

extension AvroMap: Sendable where Value: Sendable {}

extension AvroMap: CustomStringConvertible {
    public var description: String {
        "[" + entries.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "]"
    }
}
