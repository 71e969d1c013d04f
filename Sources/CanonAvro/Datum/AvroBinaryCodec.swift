/// Encodes and decodes generic ``AvroValue`` datums in Avro's binary encoding.
extension AvroSchema {
    /// Decodes exactly one datum that fills `bytes`; leftover bytes are an error.
    public func decode(_ bytes: [UInt8], limits: AvroDecodingLimits = .default) throws(AvroError) -> AvroValue {
        try AvroBinaryReader.withReader(bytes, limits: limits) { (reader) throws(AvroError) -> AvroValue in
            let value = try decode(from: &reader)
            try reader.expectEnd()
            return value
        }
    }

    /// Decodes one datum from the reader's current position.
    public func decode(from reader: inout AvroBinaryReader) throws(AvroError) -> AvroValue {
        try decodeNode(root, &reader)
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

    /// The fewest bytes any datum of each node encodes to (recursion counts as 0, so this is a lower bound).
    /// Used to check block counts against the remaining input.
    func minimumEncodedSize(_ index: Int) -> Int { minimumSizes[index] }

    static func minimumEncodedSizes(_ nodes: [Node]) -> [Int] {
        var visiting = Set<Int>()
        return nodes.indices.map { minimumEncodedSize(nodes, $0, &visiting) }
    }

    private static func minimumEncodedSize(_ nodes: [Node], _ index: Int, _ visiting: inout Set<Int>) -> Int {
        switch nodes[index] {
        case .primitive(let p, _):
            switch p {
            case .null: return 0
            case .float: return 4
            case .double: return 8
            default: return 1
            }
        case .fixed(let f): return f.size
        case .enumeration, .array, .map, .union: return 1
        case .record(let r):
            guard visiting.insert(index).inserted else { return 0 }
            defer { visiting.remove(index) }
            var total = 0
            for f in r.fields { total += minimumEncodedSize(nodes, f.type, &visiting) }
            return total
        }
    }

    // MARK: - Decoding

    private static let valueSlot = 32

    private func decodeNode(_ index: Int, _ r: inout AvroBinaryReader) throws(AvroError) -> AvroValue {
        switch nodes[index] {
        case .primitive(let p, _):
            switch p {
            case .null: return .null
            case .boolean: return .boolean(try r.readBoolean())
            case .int: return .int(try r.readInt())
            case .long: return .long(try r.readLong())
            case .float: return .float(try r.readFloat())
            case .double: return .double(try r.readDouble())
            case .bytes: return .bytes(try r.readBytes())
            case .string: return .string(try r.readString())
            }
        case .fixed(let f):
            return .fixed(try r.readFixed(size: f.size))
        case .enumeration(let e):
            return .enumSymbol(e.symbols[try r.readEnumIndex(symbolCount: e.symbols.count)])
        case .record(let rec):
            try r.enter()
            var fields = AvroMap<AvroValue>(minimumCapacity: rec.fields.count)
            for f in rec.fields {
                fields.append(key: f.name, value: try decodeNode(f.type, &r))
            }
            try r.account(Self.valueSlot * rec.fields.count)
            r.leave()
            return .record(fields)
        case .union(let branches):
            try r.enter()
            let b = try r.readUnionIndex(branchCount: branches.count)
            let v = try decodeNode(branches[b], &r)
            r.leave()
            return .union(branch: b, v)
        case .array(let itemType, _):
            try r.enter()
            let minSize = minimumEncodedSize(itemType)
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
        case .map(let valueType, _):
            try r.enter()
            let minSize = 1 + minimumEncodedSize(valueType)
            var map = AvroMap<AvroValue>()
            while true {
                let count = try r.readBlockCount(minimumItemSize: minSize, itemsSoFar: map.count)
                if count == 0 { break }
                try r.account(Self.valueSlot * 2 * count)
                map.reserveCapacity(map.count + count)
                for _ in 0..<count {
                    let key = try r.readString()
                    map.append(key: key, value: try decodeNode(valueType, &r))
                }
            }
            r.leave()
            return .map(map)
        }
    }

    /// Skips one datum of type `index` without building it (used by resolution and validation).
    func skipNode(_ index: Int, _ r: inout AvroBinaryReader) throws(AvroError) {
        switch nodes[index] {
        case .primitive(let p, _):
            switch p {
            case .null: return
            case .boolean: _ = try r.readBoolean()
            case .int: _ = try r.readInt()
            case .long: _ = try r.readLong()
            case .float: try r.skip(4)
            case .double: try r.skip(8)
            case .bytes: try r.skipBytes()
            case .string: _ = try r.readString()
            }
        case .fixed(let f): try r.skip(f.size)
        case .enumeration(let e): _ = try r.readEnumIndex(symbolCount: e.symbols.count)
        case .record(let rec):
            try r.enter()
            for f in rec.fields { try skipNode(f.type, &r) }
            r.leave()
        case .union(let branches):
            try r.enter()
            try skipNode(branches[try r.readUnionIndex(branchCount: branches.count)], &r)
            r.leave()
        case .array(let itemType, _):
            try r.enter()
            let minSize = minimumEncodedSize(itemType)
            var seen = 0
            while true {
                let count = try r.readBlockCount(minimumItemSize: minSize, itemsSoFar: seen)
                if count == 0 { break }
                seen += count
                for _ in 0..<count { try skipNode(itemType, &r) }
            }
            r.leave()
        case .map(let valueType, _):
            try r.enter()
            let minSize = 1 + minimumEncodedSize(valueType)
            var seen = 0
            while true {
                let count = try r.readBlockCount(minimumItemSize: minSize, itemsSoFar: seen)
                if count == 0 { break }
                seen += count
                for _ in 0..<count {
                    _ = try r.readString()
                    try skipNode(valueType, &r)
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
        let node = nodes[index]
        switch (node, value) {
        case (.primitive(.null, _), .null): return
        case (.primitive(.boolean, _), .boolean(let b)): w.writeBoolean(b)
        case (.primitive(.int, _), .int(let v)): w.writeInt(v)
        case (.primitive(.long, _), .long(let v)): w.writeLong(v)
        case (.primitive(.long, _), .int(let v)): w.writeLong(Int64(v))
        case (.primitive(.float, _), .float(let v)): w.writeFloat(v)
        case (.primitive(.double, _), .double(let v)): w.writeDouble(v)
        case (.primitive(.double, _), .float(let v)): w.writeDouble(Double(v))
        case (.primitive(.bytes, _), .bytes(let v)): w.writeBytes(v)
        case (.primitive(.string, _), .string(let v)): w.writeString(v)
        case (.fixed(let f), .fixed(let v)), (.fixed(let f), .bytes(let v)):
            guard v.count == f.size else {
                throw DatumPathError(components: [], message: "fixed '\(f.name)' needs \(f.size) bytes, found \(v.count)")
            }
            w.writeFixed(v)
        case (.enumeration(let e), .enumSymbol(let s)):
            guard let i = e.symbols.firstIndex(of: s) else {
                throw DatumPathError(components: [], message: "'\(s)' is not a symbol of enum '\(e.name)'")
            }
            w.writeInt(Int32(i))
        case (.array(let itemType, _), .array(let items)):
            if !items.isEmpty {
                w.writeBlockCount(items.count)
                for (i, item) in items.enumerated() {
                    do {
                        try encodeNode(itemType, item, &w)
                    } catch {
                        var e = error
                        e.components.append(String(i))
                        throw e
                    }
                }
            }
            w.writeLong(0)
        case (.map(let valueType, _), .map(let map)):
            if !map.isEmpty {
                w.writeBlockCount(map.count)
                for (key, item) in map {
                    w.writeString(key)
                    do {
                        try encodeNode(valueType, item, &w)
                    } catch {
                        var e = error
                        e.components.append(escapePointer(key))
                        throw e
                    }
                }
            }
            w.writeLong(0)
        case (.record(let rec), .record(let fields)):
            for (i, f) in rec.fields.enumerated() {
                let fieldValue: AvroValue
                if i < fields.count, fields.keys[i] == f.name {
                    fieldValue = fields.values[i]
                } else if let v = fields[f.name] {
                    fieldValue = v
                } else {
                    throw DatumPathError(components: [], message: "record '\(rec.name)' value has no field '\(f.name)'")
                }
                do {
                    try encodeNode(f.type, fieldValue, &w)
                } catch {
                    var e = error
                    e.components.append(escapePointer(f.name))
                    throw e
                }
            }
        case (.union(let branches), .union(let b, let v)):
            guard b >= 0 && b < branches.count else {
                throw DatumPathError(components: [], message: "union branch \(b) out of range 0..<\(branches.count)")
            }
            w.writeLong(Int64(b))
            try encodeNode(branches[b], v, &w)
        case (.union(let branches), _):
            // A bare value: use the first branch whose type takes it.
            guard let b = branches.firstIndex(where: { accepts($0, value) }) else {
                throw DatumPathError(components: [], message: "no branch of union [\(branches.map(branchName).joined(separator: ", "))] takes a \(value.kindName) value")
            }
            w.writeLong(Int64(b))
            try encodeNode(branches[b], value, &w)
        default:
            throw mismatch(node.name.map { "\(node.typeName) '\($0)'" } ?? node.typeName, value)
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

/// Escapes a JSON pointer reference token (RFC 6901).
func escapePointer(_ token: String) -> String {
    guard token.contains("~") || token.contains("/") else { return token }
    return token.replacingOccurrences("~", "~0").replacingOccurrences("/", "~1")
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
