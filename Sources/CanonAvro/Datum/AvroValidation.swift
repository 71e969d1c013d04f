/// Strict validation of encoded datums, without building them.
extension AvroSchema {
    /// Checks that `bytes` hold exactly one datum of this schema: every varint, length, block count (and
    /// a block's declared byte size against what its items take), union and enum index, UTF-8 string and
    /// fixed size, no bytes left over, and logical types strictly
    /// (stricter than plain Avro decoders, which take the underlying type): a `uuid` string must be a
    /// UUID (8-4-4-4-12 hex digits, either case), a `decimal`'s unscaled value must fit its precision.
    ///
    /// Nothing is allocated on success. An error names the byte offset and, as a JSON path into the
    /// schema (`/fields/2/type/1`), the type that could not be read.
    public func validate(_ bytes: [UInt8], limits: AvroDecodingLimits = .default) throws(AvroError) {
        try validate(bytes, from: 0, limits: limits)
    }

    /// Validates the datum in `bytes[start...]` (after a wire-format prefix, without copying it); byte
    /// offsets in errors count from `start`.
    public func validate(_ bytes: [UInt8], from start: Int, limits: AvroDecodingLimits = .default) throws(AvroError) {
        precondition(start >= 0 && start <= bytes.count, "start outside the bytes")
        let outcome = bytes.withUnsafeBytes { (all) -> AvroError? in
            let raw = UnsafeRawBufferPointer(rebasing: all[start...])
            // The plan's tables as raw buffers: no bounds checks or reference counting per node.
            return plan.ops.withUnsafeBufferPointer { ops in
                plan.fieldTypes.withUnsafeBufferPointer { fieldTypes in
                    plan.branches.withUnsafeBufferPointer { branches in
                        plan.strictChecks.withUnsafeBufferPointer { checks in
                            func walk<T: SchemaTrail>(_ trail: T) -> AvroError? {
                                var walker = StrictWalker(
                                    ops: ops, fieldTypes: fieldTypes, branches: branches, checks: checks, trail: trail)
                                var r = AvroBinaryReader(base: raw, limits: limits)
                                do throws(AvroError) {
                                    try walker.walk(root, &r)
                                    try r.expectEnd()
                                    return nil
                                } catch {
                                    return error
                                }
                            }
                            // Keeping the schema path costs; only a failure walks again to say where.
                            guard walk(NoTrail()) != nil, var located = walk(RecordedTrail()) else { return nil }
                            if located.location.jsonPath == nil { located.location.jsonPath = "/" }
                            return located
                        }
                    }
                }
            }
        }
        if let outcome { throw outcome }
    }

    /// Whether `s` is a UUID in RFC 4122 text form (8-4-4-4-12 hex digits, either case).
    static func isUUID(_ s: UnsafeRawBufferPointer) -> Bool {
        guard s.count == 36 else { return false }
        let dash = UInt8(ascii: "-")
        guard s[8] == dash, s[13] == dash, s[18] == dash, s[23] == dash else { return false }
        // Eight characters at a time: every byte below 0x80, and in '0'...'9' or (folded to lower case)
        // 'a'...'f'. Adding 0x80 - lo to a byte below 0x80 sets its high bit exactly when it is >= lo,
        // with no carry into the next byte. The dashes' bytes are let through (checked above).
        @inline(__always) func hex(_ w: UInt64, dashes: UInt64) -> Bool {
            let high: UInt64 = 0x8080_8080_8080_8080
            guard w & high == 0 else { return false }
            let digit = (w &+ 0x5050_5050_5050_5050) & ~(w &+ 0x4646_4646_4646_4646)
            let x = w | 0x2020_2020_2020_2020  // 'A'...'F' to 'a'...'f'; only they land in 'a'...'f'
            let letter = (x &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(x &+ 0x1919_1919_1919_1919)
            return (digit | letter | dashes) & high == high
        }
        let w0 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let w1 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let w2 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let w3 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let w4 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 28, as: UInt64.self))  // 28..<36
        // Dashes: byte 0 and 5 of w1 (8, 13), byte 2 and 7 of w2 (18, 23).
        return hex(w0, dashes: 0) && hex(w1, dashes: 0x0000_8000_0000_0080) && hex(w2, dashes: 0x8000_0000_0080_0000)
            && hex(w3, dashes: 0) && hex(w4, dashes: 0)
    }
}

/// Where in the schema a walk is, as JSON path components; kept only when a failure must be located.
private protocol SchemaTrail {
    mutating func push(_ component: @autoclosure () -> String)
    mutating func pop()
    /// The path to name in an error, or nil when this trail keeps none.
    var path: String? { get }
}

/// The fast path keeps no trail: every call compiles away.
private struct NoTrail: SchemaTrail {
    @inline(__always) mutating func push(_ component: @autoclosure () -> String) {}
    @inline(__always) mutating func pop() {}
    var path: String? { nil }
}

private struct RecordedTrail: SchemaTrail {
    var components: [String] = []
    mutating func push(_ component: @autoclosure () -> String) { components.append(component()) }
    mutating func pop() { components.removeLast() }
    var path: String? { components.isEmpty ? "/" : components.joined() }
}

/// The validation walk over raw views of the plan's tables.
private struct StrictWalker<Trail: SchemaTrail> {
    let ops: UnsafeBufferPointer<CodecPlan.Op>
    let fieldTypes: UnsafeBufferPointer<Int32>
    let branches: UnsafeBufferPointer<Int32>
    let checks: UnsafeBufferPointer<Int32>
    var trail: Trail

    mutating func walk(_ index: Int, _ r: inout AvroBinaryReader) throws(AvroError) {
        do {
            try walkBody(index, &r)
        } catch {
            // The innermost type that failed names the path; outer levels leave it as it is.
            guard error.location.jsonPath == nil, let path = trail.path else { throw error }
            var located = error
            located.location.jsonPath = path
            throw located
        }
    }

    private mutating func walkBody(_ index: Int, _ r: inout AvroBinaryReader) throws(AvroError) {
        let op = ops[index]
        switch op.kind {
        case .null: return
        case .boolean: _ = try r.readBoolean()
        case .int: _ = try r.readInt()
        case .long: _ = try r.readLong()
        case .float: _ = try r.readFloat()
        case .double: _ = try r.readDouble()
        case .bytes:
            let n = try r.readLength("bytes")
            try decimal(index, &r, length: n)
            r.position += n
        case .string:
            let n = try r.readLength("string")
            let slice = UnsafeRawBufferPointer(rebasing: r.base[r.position..<(r.position + n)])
            if let bad = UTF8Validation.firstInvalidByte(slice) {
                throw .data(.malformedData, "invalid UTF-8 in string", offset: r.position + bad)
            }
            if checks[index] == -1, !AvroSchema.isUUID(slice) {
                throw .data(
                    .malformedData, "'\(String(decoding: slice.prefix(40), as: UTF8.self))' is not a UUID (uuid logical type)",
                    offset: r.position)
            }
            r.position += n
        case .fixed:
            let size = Int(op.a)
            guard r.remaining >= size else { throw r.truncated("fixed(\(size))") }
            try decimal(index, &r, length: size)
            r.position += size
        case .enumeration: _ = try r.readEnumIndex(symbolCount: Int(op.b))
        case .record:
            try r.enter()
            let start = Int(op.a)
            for k in start..<(start + Int(op.b)) {
                trail.push("/fields/\(k - start)/type")
                try walk(Int(fieldTypes[k]), &r)
                trail.pop()
            }
            r.leave()
        case .union:
            try r.enter()
            let b = try r.readUnionIndex(branchCount: Int(op.b))
            trail.push("/\(b)")
            try walk(Int(branches[Int(op.a) + b]), &r)
            trail.pop()
            r.leave()
        case .array, .map:
            try r.enter()
            let child = Int(op.a)
            let isMap = op.kind == .map
            let minSize = (isMap ? 1 : 0) + Int(ops[child].minimumSize)
            var seen = 0
            trail.push(isMap ? "/values" : "/items")
            while true {
                let blockStart = r.position
                let (count, end) = try r.readBlockHeader(minimumItemSize: minSize, itemsSoFar: seen)
                if count == 0 { break }
                seen += count
                for _ in 0..<count {
                    if isMap {
                        let n = try r.readLength("map key")
                        let slice = UnsafeRawBufferPointer(rebasing: r.base[r.position..<(r.position + n)])
                        if let bad = UTF8Validation.firstInvalidByte(slice) {
                            throw .data(.malformedData, "invalid UTF-8 in map key", offset: r.position + bad)
                        }
                        r.position += n
                    }
                    try walk(child, &r)
                }
                if let end, r.position != end {
                    trail.pop()  // the array or map itself is wrong, not an item
                    throw .data(
                        .malformedData, "block byte size says its items end at byte \(end), they end at \(r.position)", offset: blockStart)
                }
            }
            trail.pop()
            r.leave()
        }
    }

    /// A decimal's unscaled value (big-endian two's complement, `length` bytes at the reader's position)
    /// must have at most `precision` digits.
    private func decimal(_ index: Int, _ r: inout AvroBinaryReader, length: Int) throws(AvroError) {
        let precision = Int(checks[index])
        guard precision > 0 else { return }
        guard length > 0 else { throw .data(.malformedData, "a decimal needs at least one byte", offset: r.position) }
        if !DecimalLimit.fits(UnsafeRawBufferPointer(rebasing: r.base[r.position..<(r.position + length)]), precision: precision) {
            throw .data(.malformedData, "decimal value has more than \(precision) digits (its precision)", offset: r.position)
        }
    }
}

/// Whether a two's-complement big-endian integer is below 10^precision in magnitude.
enum DecimalLimit {
    /// 10^p as big-endian bytes, p = 0...maxTable.
    static let maxTable = 160
    static let powers: [[UInt8]] = {
        var out: [[UInt8]] = [[1]]
        var current: [UInt8] = [1]
        for _ in 1...maxTable {
            var carry = 0
            for i in stride(from: current.count - 1, through: 0, by: -1) {
                let v = Int(current[i]) * 10 + carry
                current[i] = UInt8(v & 0xFF)
                carry = v >> 8
            }
            while carry > 0 {
                current.insert(UInt8(carry & 0xFF), at: 0)
                carry >>= 8
            }
            out.append(current)
        }
        return out
    }()

    static func fits(_ bytes: UnsafeRawBufferPointer, precision: Int) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { magnitude in
            // Magnitude of the two's-complement value.
            for i in 0..<bytes.count { magnitude[i] = bytes[i] }
            if bytes.count > 0, bytes[0] & 0x80 != 0 {
                for i in 0..<bytes.count { magnitude[i] = ~magnitude[i] }
                var i = bytes.count - 1
                while i >= 0 {
                    let (v, overflow) = magnitude[i].addingReportingOverflow(1)
                    magnitude[i] = v
                    if !overflow { break }
                    i -= 1
                }
            }
            var first = 0
            while first < bytes.count && magnitude[first] == 0 { first += 1 }
            let significant = bytes.count - first
            guard precision <= maxTable else {
                // 10^p needs more than p * log2(10) / 8 bytes: anything shorter fits.
                return significant * 8 <= precision * 3
            }
            let limit = powers[precision]
            if significant != limit.count { return significant < limit.count }
            for k in 0..<significant where magnitude[first + k] != limit[k] { return magnitude[first + k] < limit[k] }
            return false
        }
    }
}
