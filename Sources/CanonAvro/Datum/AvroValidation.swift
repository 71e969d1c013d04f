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
            func walk(_ path: [String]?) -> AvroError? {
                var r = AvroBinaryReader(base: raw, limits: limits)
                var path = path
                do throws(AvroError) {
                    try strictNode(root, &r, &path)
                    try r.expectEnd()
                    return nil
                } catch {
                    return error
                }
            }
            // The fast walk: the plan's tables as raw buffers (no bounds checks or reference counting per
            // node), no path kept.
            let fastError: AvroError? = plan.ops.withUnsafeBufferPointer { ops in
                plan.fieldTypes.withUnsafeBufferPointer { fieldTypes in
                    plan.branches.withUnsafeBufferPointer { branches in
                        plan.strictChecks.withUnsafeBufferPointer { checks in
                            let walker = FastStrictWalker(ops: ops, fieldTypes: fieldTypes, branches: branches, checks: checks)
                            var r = AvroBinaryReader(base: raw, limits: limits)
                            do throws(AvroError) {
                                try walker.walk(root, &r)
                                try r.expectEnd()
                                return nil
                            } catch {
                                return error
                            }
                        }
                    }
                }
            }
            guard fastError != nil, var located = walk(nil) else { return nil }
            // The failure path only: walk again, keeping the schema path, to say where it failed.
            if let again = walk([]), again.location.byteOffset == located.location.byteOffset { located = again }
            if located.location.jsonPath == nil { located.location.jsonPath = "/" }
            return located
        }
        if let outcome { throw outcome }
    }

    private func strictNode(_ index: Int, _ r: inout AvroBinaryReader, _ path: inout [String]?) throws(AvroError) {
        do {
            try strictNodeBody(index, &r, &path)
        } catch {
            // The innermost type that failed names the path; outer levels leave it as it is.
            guard let components = path, error.location.jsonPath == nil else { throw error }
            var located = error
            located.location.jsonPath = components.isEmpty ? "/" : components.joined()
            throw located
        }
    }

    private func strictNodeBody(_ index: Int, _ r: inout AvroBinaryReader, _ path: inout [String]?) throws(AvroError) {
        let op = plan.ops[index]
        switch op.kind {
        case .null: return
        case .boolean: _ = try r.readBoolean()
        case .int: _ = try r.readInt()
        case .long: _ = try r.readLong()
        case .float: _ = try r.readFloat()
        case .double: _ = try r.readDouble()
        case .bytes:
            let n = try r.readLength("bytes")
            try checkDecimal(index, &r, length: n)
            r.position += n
        case .string:
            let n = try r.readLength("string")
            let slice = UnsafeRawBufferPointer(rebasing: r.base[r.position..<(r.position + n)])
            if let bad = UTF8Validation.firstInvalidByte(slice) {
                throw .data(.malformedData, "invalid UTF-8 in string", offset: r.position + bad)
            }
            if plan.strictChecks[index] == -1, !Self.isUUID(slice) {
                throw .data(.malformedData, "'\(String(decoding: slice.prefix(40), as: UTF8.self))' is not a UUID (uuid logical type)", offset: r.position)
            }
            r.position += n
        case .fixed:
            let size = Int(op.a)
            guard r.remaining >= size else { throw r.truncated("fixed(\(size))") }
            try checkDecimal(index, &r, length: size)
            r.position += size
        case .enumeration: _ = try r.readEnumIndex(symbolCount: Int(op.b))
        case .record:
            try r.enter()
            let start = Int(op.a)
            for k in start..<(start + Int(op.b)) {
                path?.append("/fields/\(k - start)/type")
                try strictNode(Int(plan.fieldTypes[k]), &r, &path)
                path?.removeLast()
            }
            r.leave()
        case .union:
            try r.enter()
            let b = try r.readUnionIndex(branchCount: Int(op.b))
            path?.append("/\(b)")
            try strictNode(Int(plan.branches[Int(op.a) + b]), &r, &path)
            path?.removeLast()
            r.leave()
        case .array, .map:
            try r.enter()
            let child = Int(op.a)
            let isMap = op.kind == .map
            let minSize = (isMap ? 1 : 0) + Int(plan.ops[child].minimumSize)
            var seen = 0
            path?.append(isMap ? "/values" : "/items")
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
                    try strictNode(child, &r, &path)
                }
                if let end, r.position != end {
                    path?.removeLast()  // the array or map itself is wrong, not an item
                    throw .data(.malformedData, "block byte size says its items end at byte \(end), they end at \(r.position)", offset: blockStart)
                }
            }
            path?.removeLast()
            r.leave()
        }
    }

    /// A decimal's unscaled value (big-endian two's complement, `length` bytes at the reader's position)
    /// must have at most `precision` digits.
    private func checkDecimal(_ index: Int, _ r: inout AvroBinaryReader, length: Int) throws(AvroError) {
        let precision = Int(plan.strictChecks[index])
        guard precision > 0 else { return }
        guard length > 0 else { throw .data(.malformedData, "a decimal needs at least one byte", offset: r.position) }
        let bytes = UnsafeRawBufferPointer(rebasing: r.base[r.position..<(r.position + length)])
        if !DecimalLimit.fits(bytes, precision: precision) {
            throw .data(.malformedData, "decimal value has more than \(precision) digits (its precision)", offset: r.position)
        }
    }

    static func isUUID(_ s: UnsafeRawBufferPointer) -> Bool {
        guard s.count == 36 else { return false }
        for (i, c) in s.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)) {
                return false
            }
        }
        return true
    }
}

/// The validation walk over raw views of the plan's tables (the common case: nothing to report).
private struct FastStrictWalker {
    let ops: UnsafeBufferPointer<CodecPlan.Op>
    let fieldTypes: UnsafeBufferPointer<Int32>
    let branches: UnsafeBufferPointer<Int32>
    let checks: UnsafeBufferPointer<Int32>

    func walk(_ index: Int, _ r: inout AvroBinaryReader) throws(AvroError) {
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
            if UTF8Validation.firstInvalidByte(slice) != nil { throw AvroError(.malformedData, "invalid UTF-8 in string") }
            if checks[index] == -1, !AvroSchema.isUUID(slice) { throw AvroError(.malformedData, "not a UUID") }
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
            for k in start..<(start + Int(op.b)) { try walk(Int(fieldTypes[k]), &r) }
            r.leave()
        case .union:
            try r.enter()
            let b = try r.readUnionIndex(branchCount: Int(op.b))
            try walk(Int(branches[Int(op.a) + b]), &r)
            r.leave()
        case .array, .map:
            try r.enter()
            let child = Int(op.a)
            let isMap = op.kind == .map
            let minSize = (isMap ? 1 : 0) + Int(ops[child].minimumSize)
            var seen = 0
            while true {
                let (count, end) = try r.readBlockHeader(minimumItemSize: minSize, itemsSoFar: seen)
                if count == 0 { break }
                seen += count
                for _ in 0..<count {
                    if isMap {
                        let n = try r.readLength("map key")
                        let slice = UnsafeRawBufferPointer(rebasing: r.base[r.position..<(r.position + n)])
                        if UTF8Validation.firstInvalidByte(slice) != nil { throw AvroError(.malformedData, "invalid UTF-8 in map key") }
                        r.position += n
                    }
                    try walk(child, &r)
                }
                if let end, r.position != end { throw AvroError(.malformedData, "block byte size mismatch") }
            }
            r.leave()
        }
    }

    private func decimal(_ index: Int, _ r: inout AvroBinaryReader, length: Int) throws(AvroError) {
        let precision = Int(checks[index])
        guard precision > 0 else { return }
        guard length > 0 else { throw AvroError(.malformedData, "empty decimal") }
        if !DecimalLimit.fits(UnsafeRawBufferPointer(rebasing: r.base[r.position..<(r.position + length)]), precision: precision) {
            throw AvroError(.malformedData, "decimal out of precision")
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
