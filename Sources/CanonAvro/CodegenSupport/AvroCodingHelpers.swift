// Collections, optionals and nulls for generated code: each helper takes the item's codec as a closure,
// and is inlinable, so generated code is specialized per item type with no dynamic dispatch.

/// The value of Avro's `null` type where it stands alone (not as a branch of a union).
public struct AvroNull: Sendable, Hashable, Codable {
    public init() {}
    public init(from decoder: any Decoder) throws {
        guard try decoder.singleValueContainer().decodeNil() else {
            throw DecodingError.typeMismatch(AvroNull.self, .init(codingPath: decoder.codingPath, debugDescription: "expected null"))
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encodeNil()
    }
}

extension AvroWriting {
    /// An array: one block with every item, then the end marker.
    @inlinable
    public mutating func writeArray<T, E: Error>(_ items: [T], _ item: (inout Self, T) throws(E) -> Void) throws(E) {
        if !items.isEmpty {
            writeLong(Int64(items.count))
            for x in items { try item(&self, x) }
        }
        writeByte(0)
    }

    /// A map: one block with every entry in insertion order, then the end marker.
    @inlinable
    public mutating func writeMap<V, E: Error>(_ map: AvroMap<V>, _ value: (inout Self, V) throws(E) -> Void) throws(E) {
        if !map.isEmpty {
            writeLong(Int64(map.count))
            for (k, v) in map.entries {
                writeString(k)
                try value(&self, v)
            }
        }
        writeByte(0)
    }

    /// A union of `null` and one other type: the branch index, then the value when there is one.
    @inlinable
    public mutating func writeOptional<T, E: Error>(_ value: T?, nullIndex: Int, _ some: (inout Self, T) throws(E) -> Void) throws(E) {
        if let value {
            writeByte(nullIndex == 0 ? 2 : 0)  // zig-zag of the other branch, 1 or 0
            try some(&self, value)
        } else {
            writeByte(UInt8(truncatingIfNeeded: nullIndex * 2))
        }
    }

    /// A union with `null` among several branches: the null branch's index for `nil`, else `some` writes
    /// the value (with its own branch index).
    @inlinable
    public mutating func writeNullableUnion<T, E: Error>(_ value: T?, nullIndex: Int, _ some: (inout Self, T) throws(E) -> Void) throws(E) {
        if let value {
            try some(&self, value)
        } else {
            writeLong(Int64(nullIndex))
        }
    }

    /// The index of a union branch.
    @inlinable
    public mutating func writeUnionIndex(_ index: Int) { writeLong(Int64(index)) }
}

extension AvroBinaryReader {
    /// An array of items read by `item`, block by block.
    @inlinable
    public mutating func readArray<T>(minimumItemSize: Int, _ item: (inout AvroBinaryReader) throws(AvroError) -> T) throws(AvroError)
        -> [T]
    {
        var items: [T] = []
        while true {
            let count = try readBlockCount(minimumItemSize: minimumItemSize, itemsSoFar: items.count)
            if count == 0 { return items }
            items.reserveCapacity(items.count + count)
            for _ in 0..<count { items.append(try item(&self)) }
        }
    }

    /// A map with values read by `value`, in wire order.
    @inlinable
    public mutating func readMap<V>(minimumValueSize: Int, _ value: (inout AvroBinaryReader) throws(AvroError) -> V) throws(AvroError)
        -> AvroMap<V>
    {
        var map = AvroMap<V>()
        while true {
            let count = try readBlockCount(minimumItemSize: 1 + minimumValueSize, itemsSoFar: map.count)
            if count == 0 { return map }
            map.reserveCapacity(map.count + count)
            for _ in 0..<count {
                let key = try readString()
                map.append(key: key, value: try value(&self))
            }
        }
    }

    /// A union of `null` (branch `nullIndex`) and one other type.
    @inlinable
    public mutating func readOptional<T>(nullIndex: Int, _ some: (inout AvroBinaryReader) throws(AvroError) -> T) throws(AvroError) -> T? {
        let branch = try readUnionIndex(branchCount: 2)
        return branch == nullIndex ? nil : try some(&self)
    }

    /// A union with `null` among several branches: `nil` for the null branch, else `some` reads the branch.
    @inlinable
    public mutating func readNullableUnion<T>(
        branchCount: Int, nullIndex: Int, _ some: (inout AvroBinaryReader, Int) throws(AvroError) -> T
    ) throws(AvroError) -> T? {
        let branch = try readUnionIndex(branchCount: branchCount)
        return branch == nullIndex ? nil : try some(&self, branch)
    }

    /// A union of `null` alone (`["null"]`): its branch index, then nothing.
    @inlinable
    public mutating func readNull(unionBranchCount: Int) throws(AvroError) -> AvroNull {
        _ = try readUnionIndex(branchCount: unionBranchCount)
        return AvroNull()
    }

    /// Reads a nested value of a recursive type, counting the nesting against `maxDepth`.
    @inlinable
    public mutating func nested<T>(_ body: (inout AvroBinaryReader) throws(AvroError) -> T) throws(AvroError) -> T {
        try enter()
        let value = try body(&self)
        leave()
        return value
    }
}

// MARK: - Primitive types as topic keys

extension String: AvroSerializable {
    public static var avroSchema: String { "\"string\"" }
    public static let parsingCanonicalFormFingerprint = Int64(bitPattern: avroParsedSchema.rabinFingerprint)
    public static let avroParsedSchema: AvroSchema = .generated(avroSchema)
    public init(from reader: inout AvroReader) throws(AvroError) { self = try reader.readString() }
    public func encode<W: AvroWriting>(into writer: inout W) { writer.writeString(self) }
}

extension Int64: AvroSerializable {
    public static var avroSchema: String { "\"long\"" }
    public static let parsingCanonicalFormFingerprint = Int64(bitPattern: avroParsedSchema.rabinFingerprint)
    public static let avroParsedSchema: AvroSchema = .generated(avroSchema)
    public init(from reader: inout AvroReader) throws(AvroError) { self = try reader.readLong() }
    public func encode<W: AvroWriting>(into writer: inout W) { writer.writeLong(self) }
}

extension Int32: AvroSerializable {
    public static var avroSchema: String { "\"int\"" }
    public static let parsingCanonicalFormFingerprint = Int64(bitPattern: avroParsedSchema.rabinFingerprint)
    public static let avroParsedSchema: AvroSchema = .generated(avroSchema)
    public init(from reader: inout AvroReader) throws(AvroError) { self = try reader.readInt() }
    public func encode<W: AvroWriting>(into writer: inout W) { writer.writeInt(self) }
}

extension Bool: AvroSerializable {
    public static var avroSchema: String { "\"boolean\"" }
    public static let parsingCanonicalFormFingerprint = Int64(bitPattern: avroParsedSchema.rabinFingerprint)
    public static let avroParsedSchema: AvroSchema = .generated(avroSchema)
    public init(from reader: inout AvroReader) throws(AvroError) { self = try reader.readBoolean() }
    public func encode<W: AvroWriting>(into writer: inout W) { writer.writeBoolean(self) }
}

extension Double: AvroSerializable {
    public static var avroSchema: String { "\"double\"" }
    public static let parsingCanonicalFormFingerprint = Int64(bitPattern: avroParsedSchema.rabinFingerprint)
    public static let avroParsedSchema: AvroSchema = .generated(avroSchema)
    public init(from reader: inout AvroReader) throws(AvroError) { self = try reader.readDouble() }
    public func encode<W: AvroWriting>(into writer: inout W) { writer.writeDouble(self) }
}

extension Float: AvroSerializable {
    public static var avroSchema: String { "\"float\"" }
    public static let parsingCanonicalFormFingerprint = Int64(bitPattern: avroParsedSchema.rabinFingerprint)
    public static let avroParsedSchema: AvroSchema = .generated(avroSchema)
    public init(from reader: inout AvroReader) throws(AvroError) { self = try reader.readFloat() }
    public func encode<W: AvroWriting>(into writer: inout W) { writer.writeFloat(self) }
}

extension Array: AvroSerializable where Element == UInt8 {
    public static var avroSchema: String { "\"bytes\"" }
    public static let parsingCanonicalFormFingerprint = Int64(bitPattern: avroParsedSchema.rabinFingerprint)
    public static let avroParsedSchema: AvroSchema = .generated(avroSchema)
    public init(from reader: inout AvroReader) throws(AvroError) { self = try reader.readBytes() }
    public func encode<W: AvroWriting>(into writer: inout W) { writer.writeBytes(self) }
}
