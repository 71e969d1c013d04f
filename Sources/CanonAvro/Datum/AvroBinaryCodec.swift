import CanonCore
/// Encodes and decodes generic ``AvroValue`` datums in Avro's binary encoding.
extension AvroSchema {
    /// Decodes exactly one datum that fills `bytes`; leftover bytes are an error.
    public func decode(_ bytes: [UInt8], limits: AvroDecodingLimits = .default) throws(AvroError) -> AvroValue {
        try AvroBinaryReader.readingAll(bytes, limits: limits) { (r) throws(AvroError) -> AvroValue in try decode(from: &r) }
    }

    /// Decodes one datum from the reader's current position. The limits apply to this datum alone.
    public func decode(from reader: inout AvroBinaryReader) throws(AvroError) -> AvroValue {
        reader.totalSize = 0
        return try decodeNode(root, &reader)
    }

    /// Encodes a datum; a value that does not match the schema is an error naming its path.
    public func encode(_ value: AvroValue) throws(AvroError) -> [UInt8] {
        var writer = AvroBinaryWriter()
        try encode(value, into: &writer)
        return writer.bytes
    }

    /// Appends a datum's encoding to `writer`. On error the writer may hold a partial encoding.
    public func encode(_ value: AvroValue, into writer: inout AvroBinaryWriter) throws(AvroError) {
        do {
            try encodeNode(root, value, &writer)
        } catch {
            throw error.error
        }
    }

    // MARK: - Decoding

    private static let valueSlot = 32

    func decodeNode(_ index: Int, _ r: inout AvroBinaryReader) throws(AvroError) -> AvroValue {
        let op = plan.ops[index]
        switch op.kind {
        case .null: return .null
        case .boolean: return .boolean(try r.readBoolean())
        case .int: return .int(try r.readInt())
        case .long: return .long(try r.readLong())
        case .float: return .float(try r.readFloat())
        case .double: return .double(try r.readDouble())
        case .bytes: return .bytes(try r.readBytes())
        case .string: return .string(try r.readString())
        case .fixed: return .fixed(try r.readFixed(size: Int(op.a)))
        case .enumeration:
            return .enumSymbol(plan.symbols[Int(op.a) + (try r.readEnumIndex(symbolCount: Int(op.b)))])
        case .record:
            try r.enter()
            let start = Int(op.a), count = Int(op.b)
            try r.account(Self.valueSlot * count)
            var fields = AvroMap<AvroValue>(minimumCapacity: count)
            for k in start..<(start + count) {
                fields.append(key: plan.fieldNames[k], value: try decodeNode(Int(plan.fieldTypes[k]), &r))
            }
            r.leave()
            return .record(fields)
        case .union:
            try r.enter()
            let b = try r.readUnionIndex(branchCount: Int(op.b))
            let v = try decodeNode(Int(plan.branches[Int(op.a) + b]), &r)
            r.leave()
            return .union(branch: b, v)
        case .array:
            try r.enter()
            let itemType = Int(op.a)
            let minSize = Int(plan.ops[itemType].minimumSize)
            var items: [AvroValue] = []
            while true {
                let count = try r.readBlockCount(minimumItemSize: minSize, itemsSoFar: items.count)
                if count == 0 { break }
                try r.account(Self.valueSlot * count)
                // Reserve only what the remaining input can hold.
                items.reserveCapacity(items.count + (minSize > 0 ? count : min(count, 1024)))
                for _ in 0..<count { items.append(try decodeNode(itemType, &r)) }
            }
            r.leave()
            return .array(items)
        case .map:
            try r.enter()
            let valueType = Int(op.a)
            let minSize = 1 + Int(plan.ops[valueType].minimumSize)
            var map = AvroMap<AvroValue>()
            while true {
                let count = try r.readBlockCount(minimumItemSize: minSize, itemsSoFar: map.count)
                if count == 0 { break }
                try r.account(Self.valueSlot * 2 * count)
                map.reserveCapacity(map.count + count)
                for _ in 0..<count {
                    let key = try r.readString("map key")
                    map.append(key: key, value: try decodeNode(valueType, &r))
                }
            }
            r.leave()
            return .map(map)
        }
    }

    /// Skips one datum of type `index` without building it (used by resolution).
    func skipNode(_ index: Int, _ r: inout AvroBinaryReader) throws(AvroError) {
        let op = plan.ops[index]
        switch op.kind {
        case .null: return
        case .boolean: _ = try r.readBoolean()
        case .int: _ = try r.readInt()
        case .long: _ = try r.readLong()
        case .float: _ = try r.readFloat()
        case .double: _ = try r.readDouble()
        case .bytes: try r.skipBytes()
        case .string: try r.skipString()
        case .fixed: try r.skipFixed(Int(op.a))
        case .enumeration: _ = try r.readEnumIndex(symbolCount: Int(op.b))
        case .record:
            try r.enter()
            for k in Int(op.a)..<Int(op.a + op.b) { try skipNode(Int(plan.fieldTypes[k]), &r) }
            r.leave()
        case .union:
            try r.enter()
            let b = try r.readUnionIndex(branchCount: Int(op.b))
            try skipNode(Int(plan.branches[Int(op.a) + b]), &r)
            r.leave()
        case .array, .map:
            try r.enter()
            let child = Int(op.a)
            let minSize = (op.kind == .map ? 1 : 0) + Int(plan.ops[child].minimumSize)
            var seen = 0
            while true {
                let count = try r.readBlockCount(minimumItemSize: minSize, itemsSoFar: seen)
                if count == 0 { break }
                seen += count
                for _ in 0..<count {
                    if op.kind == .map { try r.skipString("map key") }
                    try skipNode(child, &r)
                }
            }
            r.leave()
        }
    }

    // MARK: - Encoding

    /// An encoding error that is still collecting its path on the way out of the recursion.
    struct DatumPathError: Error {
        var components: [String]
        var message: String

        var error: AvroError {
            AvroError(.datumMismatch, message, location: AvroError.Location(jsonPath: "/" + components.reversed().joined(separator: "/")))
        }
    }

    private func mismatch(_ expected: String, _ value: AvroValue) -> DatumPathError {
        DatumPathError(components: [], message: "expected \(expected), found \(value.kindName)")
    }

    private func encodeNode(_ index: Int, _ value: AvroValue, _ w: inout AvroBinaryWriter) throws(DatumPathError) {
        let op = plan.ops[index]
        switch (op.kind, value) {
        case (.null, .null): return
        case (.boolean, .boolean(let b)): w.writeBoolean(b)
        case (.int, .int(let v)): w.writeInt(v)
        case (.long, .long(let v)): w.writeLong(v)
        case (.long, .int(let v)): w.writeLong(Int64(v))
        case (.float, .float(let v)): w.writeFloat(v)
        case (.double, .double(let v)): w.writeDouble(v)
        case (.double, .float(let v)): w.writeDouble(Double(v))
        case (.bytes, .bytes(let v)): w.writeBytes(v)
        case (.string, .string(let v)): w.writeString(v)
        case (.fixed, .fixed(let v)), (.fixed, .bytes(let v)):
            guard v.count == Int(op.a) else {
                throw DatumPathError(components: [], message: "fixed '\(nodes[index].name!)' needs \(op.a) bytes, found \(v.count)")
            }
            w.writeFixed(v)
        case (.enumeration, .enumSymbol(let s)):
            let start = Int(op.a)
            var i = start
            let end = start + Int(op.b)
            while i < end && plan.symbols[i] != s { i += 1 }
            guard i < end else {
                throw DatumPathError(components: [], message: "'\(s)' is not a symbol of enum '\(nodes[index].name!)'")
            }
            w.writeInt(Int32(i - start))
        case (.array, .array(let items)):
            let itemType = Int(op.a)
            if !items.isEmpty {
                w.writeBlockCount(items.count)
                for i in items.indices {
                    do {
                        try encodeNode(itemType, items[i], &w)
                    } catch {
                        var e = error
                        e.components.append(String(i))
                        throw e
                    }
                }
            }
            w.writeLong(0)
        case (.map, .map(let map)):
            let valueType = Int(op.a)
            if !map.isEmpty {
                w.writeBlockCount(map.count)
                for entry in map.entries {
                    w.writeString(entry.key)
                    do {
                        try encodeNode(valueType, entry.value, &w)
                    } catch {
                        var e = error
                        e.components.append(JSONPointer.escape(entry.key))
                        throw e
                    }
                }
            }
            w.writeLong(0)
        case (.record, .record(let fields)):
            let start = Int(op.a), count = Int(op.b)
            let entries = fields.entries
            for k in 0..<count {
                let name = plan.fieldNames[start + k]
                let fieldValue: AvroValue
                if k < entries.count, entries[k].key == name {
                    fieldValue = entries[k].value
                } else if let v = fields[name] {
                    fieldValue = v
                } else {
                    throw DatumPathError(components: [], message: "record '\(nodes[index].name!)' value has no field '\(name)'")
                }
                do {
                    try encodeNode(Int(plan.fieldTypes[start + k]), fieldValue, &w)
                } catch {
                    var e = error
                    e.components.append(JSONPointer.escape(name))
                    throw e
                }
            }
        case (.union, .union(let b, let v)):
            guard b >= 0 && b < Int(op.b) else {
                throw DatumPathError(components: [], message: "union branch \(b) out of range 0..<\(op.b)")
            }
            w.writeLong(Int64(b))
            try encodeNode(Int(plan.branches[Int(op.a) + b]), v, &w)
        case (.union, _):
            // A bare value: use the first branch whose type takes it.
            let branches = plan.branches[Int(op.a)..<Int(op.a + op.b)].map { Int($0) }
            guard let b = branches.firstIndex(where: { accepts($0, value) }) else {
                throw DatumPathError(
                    components: [],
                    message: "no branch of union [\(branches.map(branchName).joined(separator: ", "))] takes a \(value.kindName) value")
            }
            w.writeLong(Int64(b))
            try encodeNode(branches[b], value, &w)
        default:
            throw mismatch(nodes[index].name.map { "\(nodes[index].typeName) '\($0)'" } ?? nodes[index].typeName, value)
        }
    }

    /// Whether `value`'s kind is what node `index` encodes (shallow check, for bare union values).
    private func accepts(_ index: Int, _ value: AvroValue) -> Bool {
        switch (nodes[index], value) {
        case (.primitive(.null, _), .null), (.primitive(.boolean, _), .boolean), (.primitive(.int, _), .int),
            (.primitive(.long, _), .long), (.primitive(.float, _), .float), (.primitive(.double, _), .double),
            (.primitive(.bytes, _), .bytes), (.primitive(.string, _), .string), (.array, .array), (.map, .map):
            return true
        case (.fixed(let f), .fixed(let v)): return f.size == v.count
        case (.enumeration(let e), .enumSymbol(let s)): return e.symbols.contains(s)
        case (.record(let r), .record(let fields)):
            return r.fields.allSatisfy { fields[$0.name] != nil }
        default: return false
        }
    }
}
