/// Limits that bound what decoding hostile input can cost.
///
/// Every limit applies to one datum. Block counts are also checked against the bytes left
/// (count × the item's minimum encoded size must fit), and capacity is reserved only from that bound,
/// so a declared count of 2^62 costs nothing before it is refused.
public struct AvroDecodingLimits: Sendable, Hashable {
    /// Most items in one array or map (all blocks together). Default 4,194,304.
    public var maxCollectionItems: Int
    /// Longest `bytes` or `string` value, in bytes. Default 64 MiB.
    public var maxLength: Int
    /// Deepest nesting of records, arrays, maps and unions. Default 512 (as for JSON text).
    public var maxDepth: Int
    /// Most memory a generic decoded datum may take, counted as value slots plus string/bytes payloads.
    /// Default 128 MiB.
    public var maxTotalSize: Int

    public init(maxCollectionItems: Int = 1 << 22, maxLength: Int = 64 << 20, maxDepth: Int = 512, maxTotalSize: Int = 128 << 20) {
        self.maxCollectionItems = maxCollectionItems
        self.maxLength = maxLength
        self.maxDepth = maxDepth
        self.maxTotalSize = maxTotalSize
    }

    /// The defaults above.
    public static let `default` = AvroDecodingLimits()
}

/// Reads Avro binary encodings from a byte buffer, reporting every malformed input as an
/// ``AvroError`` with its byte offset; it never traps on bad input.
///
/// Create one with ``withReader(_:limits:_:)``: it reads the bytes in place, without copying.
public struct AvroBinaryReader: ~Copyable {
    @usableFromInline let base: UnsafeRawBufferPointer
    @usableFromInline var position: Int
    /// Offset of the next byte to read.
    public var offset: Int { position }
    public let limits: AvroDecodingLimits
    @usableFromInline var depth = 0
    @usableFromInline var totalSize = 0

    @usableFromInline
    init(base: UnsafeRawBufferPointer, limits: AvroDecodingLimits) {
        self.base = base
        self.position = 0
        self.limits = limits
    }

    /// Runs `body` with a reader over `bytes`.
    @inlinable
    public static func withReader<R, E: Error>(
        _ bytes: [UInt8], limits: AvroDecodingLimits = .default,
        _ body: (inout AvroBinaryReader) throws(E) -> R
    ) throws(E) -> R {
        let result = bytes.withUnsafeBytes { (raw) -> Result<R, E> in
            var reader = AvroBinaryReader(base: raw, limits: limits)
            do throws(E) {
                return .success(try body(&reader))
            } catch {
                return .failure(error)
            }
        }
        switch consume result {  // moved out, not copied
        case .success(let value): return value
        case .failure(let error): throw error
        }
    }

    /// What the current datum has counted against `maxTotalSize` so far.
    public var decodedSize: Int { totalSize }

    /// Runs `body` with a reader over `bytes`, which must read them all: leftover bytes are an error.
    @inlinable
    public static func readingAll<R>(
        _ bytes: [UInt8], limits: AvroDecodingLimits = .default, _ body: (inout AvroBinaryReader) throws(AvroError) -> R
    ) throws(AvroError) -> R {
        try withReader(bytes, limits: limits) { (r) throws(AvroError) -> R in
            let value = try body(&r)
            try r.expectEnd()
            return value
        }
    }

    /// Bytes not read yet.
    @inlinable
    public var remaining: Int { base.count - position }

    /// Whether every byte was read.
    @inlinable
    public var isAtEnd: Bool { position >= base.count }

    /// Throws `trailingBytes` unless every byte was read.
    public func expectEnd() throws(AvroError) {
        if position < base.count {
            throw .data(.trailingBytes, "\(base.count - position) trailing byte(s) after the datum", offset: position)
        }
    }

    @inlinable
    public mutating func readBoolean() throws(AvroError) -> Bool {
        guard position < base.count else { throw truncated("boolean") }
        let b = base[position]
        guard b <= 1 else { throw .data(.malformedData, "boolean byte must be 0 or 1, found \(b)", offset: position) }
        position += 1
        return b == 1
    }

    /// An `int`: a zig-zag varint of at most 5 bytes whose value fits 32 bits.
    @inlinable
    public mutating func readInt() throws(AvroError) -> Int32 {
        let start = position
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard position < base.count else { throw truncated("int", at: start) }
            let b = base[position]
            position += 1
            if shift == 28 && b > 0x0F {
                throw .data(.malformedData, "int varint overflows 32 bits", offset: start)
            }
            result |= UInt32(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return Int32(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
    }

    /// A `long`: a zig-zag varint of at most 10 bytes whose value fits 64 bits.
    @inlinable @inline(__always)
    public mutating func readLong() throws(AvroError) -> Int64 {
        // Fast path, inlined: one byte.
        if position < base.count {
            let b = base[position]
            if b < 0x80 {
                position += 1
                let n = UInt64(b)
                return Int64(bitPattern: (n >> 1) ^ (0 &- (n & 1)))
            }
        }
        return try readLongSlow()
    }

    @usableFromInline @inline(never)
    mutating func readLongSlow() throws(AvroError) -> Int64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < base.count else { throw truncated("long", at: start) }
            let b = base[position]
            position += 1
            if shift == 63 && b > 0x01 {
                throw .data(.malformedData, "long varint overflows 64 bits (more than 10 bytes or too large)", offset: start)
            }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
    }

    @inlinable
    public mutating func readFloat() throws(AvroError) -> Float {
        guard remaining >= 4 else { throw truncated("float") }
        let bits = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return Float(bitPattern: UInt32(littleEndian: bits))
    }

    @inlinable
    public mutating func readDouble() throws(AvroError) -> Double {
        guard remaining >= 8 else { throw truncated("double") }
        let bits = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return Double(bitPattern: UInt64(littleEndian: bits))
    }

    /// Reads a length prefix and checks it against the remaining bytes and `maxLength`.
    @inlinable
    mutating func readLength(_ what: String) throws(AvroError) -> Int {
        let start = position
        let n = try readLong()
        guard n >= 0 else { throw .data(.malformedData, "negative \(what) length \(n)", offset: start) }
        guard n <= Int64(remaining) else {
            throw .data(.truncated, "\(what) length \(n) exceeds the \(remaining) remaining byte(s)", offset: start)
        }
        guard n <= Int64(limits.maxLength) else {
            throw .data(.limitExceeded, "\(what) length \(n) exceeds the limit of \(limits.maxLength)", offset: start)
        }
        try account(Int(n))
        return Int(n)
    }

    @inlinable
    public mutating func readBytes() throws(AvroError) -> [UInt8] {
        let n = try readLength("bytes")
        let result = [UInt8](UnsafeRawBufferPointer(rebasing: base[position..<(position + n)]))
        position += n
        return result
    }

    /// A UTF-8 string; invalid UTF-8 is an error (never repaired).
    @inlinable @inline(__always)
    public mutating func readString() throws(AvroError) -> String {
        // Fast path, inlined: a one-byte length (under 64 bytes) of ASCII that fits the input and limits.
        if position < base.count {
            let b = base[position]
            let n = Int(b >> 1)
            if b < 0x80, b & 1 == 0, n < base.count - position, n <= limits.maxLength, totalSize + n <= limits.maxTotalSize {
                let start = position + 1
                let slice = UnsafeRawBufferPointer(rebasing: base[start..<(start + n)])
                // Up to 16 bytes are checked with two word loads when the input extends that far
                // (bytes past the string are masked off); longer strings word by word.
                let ascii: Bool
                if n <= 16 && start + 16 <= base.count {
                    let lowMask: UInt64 = n >= 8 ? .max : (1 << UInt64(8 * n)) &- 1
                    let highMask: UInt64 = n <= 8 ? 0 : (n == 16 ? .max : (1 << UInt64(8 * (n - 8))) &- 1)
                    let words =
                        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start, as: UInt64.self)) & lowMask
                        | UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self)) & highMask
                    ascii = words & 0x8080_8080_8080_8080 == 0
                } else {
                    ascii = UTF8Validation.isASCII(slice)
                }
                if ascii {
                    totalSize += n
                    position = start + n
                    return String(decoding: slice, as: UTF8.self)
                }
            }
        }
        return try readStringSlow()
    }

    @usableFromInline
    mutating func readStringSlow() throws(AvroError) -> String {
        let n = try readLength("string")
        let slice = UnsafeRawBufferPointer(rebasing: base[position..<(position + n)])
        if let bad = UTF8Validation.firstInvalidByte(slice) {
            throw .data(.malformedData, "invalid UTF-8 in string", offset: position + bad)
        }
        position += n
        return String(decoding: slice, as: UTF8.self)
    }

    /// Skips a string or bytes value.
    @inlinable
    public mutating func skipBytes() throws(AvroError) {
        let n = try readLength("bytes")
        position += n
    }

    @inlinable
    public mutating func readFixed(size: Int) throws(AvroError) -> [UInt8] {
        guard remaining >= size else { throw truncated("fixed(\(size))") }
        let result = [UInt8](UnsafeRawBufferPointer(rebasing: base[position..<(position + size)]))
        position += size
        return result
    }

    /// Skips `count` bytes.
    @inlinable
    public mutating func skip(_ count: Int) throws(AvroError) {
        guard count >= 0, remaining >= count else { throw truncated("\(count) bytes") }
        position += count
    }

    /// An enum index, checked against the symbol count.
    @inlinable
    public mutating func readEnumIndex(symbolCount: Int) throws(AvroError) -> Int {
        let start = position
        let i = try readInt()
        guard i >= 0, Int(i) < symbolCount else {
            throw .data(.malformedData, "enum index \(i) out of range 0..<\(symbolCount)", offset: start)
        }
        return Int(i)
    }

    /// A union branch index, checked against the branch count.
    @inlinable
    public mutating func readUnionIndex(branchCount: Int) throws(AvroError) -> Int {
        let start = position
        let i = try readLong()
        guard i >= 0, i < Int64(branchCount) else {
            throw .data(.malformedData, "union branch index \(i) out of range 0..<\(branchCount)", offset: start)
        }
        return Int(i)
    }

    /// The zig-zag varlong at `offset` (already known to be complete) and the offset after it.
    private func peekVarlong(at offset: Int) -> (value: Int64, next: Int) {
        var at = offset, shift: UInt64 = 0, raw: UInt64 = 0
        while at < base.count {
            let b = base[at]
            raw |= UInt64(b & 0x7F) << shift
            at += 1
            if b < 0x80 { break }
            shift += 7
        }
        return (Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))), at)
    }

    /// ``readBlockCount(minimumItemSize:itemsSoFar:)`` for strict validation: also where a block that
    /// declared its byte size must end (its items must take exactly that many bytes).
    mutating func readBlockHeader(minimumItemSize: Int, itemsSoFar: Int) throws(AvroError) -> (count: Int, end: Int?) {
        let start = position
        let count = try readBlockCount(minimumItemSize: minimumItemSize, itemsSoFar: itemsSoFar)
        guard count > 0 else { return (0, nil) }
        // Read the header again to learn whether it carried a byte size (a negative count). Both varints
        // were read successfully above, so they are complete.
        let (declared, sizeAt) = peekVarlong(at: start)
        guard declared < 0 else { return (count, nil) }
        let bytes = peekVarlong(at: sizeAt).value
        return (count, position + Int(bytes))
    }

    /// Reads the count that starts a block of an array or map. Returns 0 at the end of the collection.
    ///
    /// A negative count is followed by the block's byte size, which is read and checked. The count is
    /// checked so that `count × minimumItemSize` fits in the remaining bytes and the collection's running
    /// total (`itemsSoFar`) stays within `maxCollectionItems`.
    @inlinable
    public mutating func readBlockCount(minimumItemSize: Int, itemsSoFar: Int) throws(AvroError) -> Int {
        let start = position
        var count = try readLong()
        if count < 0 {
            guard count != .min else { throw .data(.malformedData, "block count \(count) out of range", offset: start) }
            count = -count
            let sizeStart = position
            let size = try readLong()
            guard size >= 0, size <= Int64(remaining) else {
                throw .data(
                    .malformedData, "block byte size \(size) is negative or exceeds the \(remaining) remaining byte(s)", offset: sizeStart)
            }
        }
        if count == 0 { return 0 }
        if minimumItemSize > 0 && count > Int64(remaining / minimumItemSize) {
            throw .data(
                .truncated, "block count \(count) needs at least \(minimumItemSize) byte(s) per item but only \(remaining) remain",
                offset: start)
        }
        guard count <= Int64(limits.maxCollectionItems - itemsSoFar) else {
            throw .data(
                .limitExceeded, "collection of more than \(limits.maxCollectionItems) items (block count \(count) after \(itemsSoFar))",
                offset: start)
        }
        return Int(count)
    }

    /// Enters a nested record, array, map or union; throws past `maxDepth`.
    @inlinable
    public mutating func enter() throws(AvroError) {
        depth += 1
        if depth > limits.maxDepth {
            throw .data(.limitExceeded, "nesting deeper than \(limits.maxDepth) levels", offset: position)
        }
    }

    @inlinable
    public mutating func leave() { depth -= 1 }

    /// Counts `size` bytes of decoded output against `maxTotalSize`.
    @inlinable
    public mutating func account(_ size: Int) throws(AvroError) {
        totalSize += size
        if totalSize > limits.maxTotalSize {
            throw .data(.limitExceeded, "decoded datum larger than the limit of \(limits.maxTotalSize) bytes", offset: position)
        }
    }

    @usableFromInline
    func truncated(_ what: String, at start: Int? = nil) -> AvroError {
        .data(.truncated, "input ends inside \(what)", offset: start ?? position)
    }
}

/// UTF-8 validation with an ASCII fast path (eight bytes at a time).
public enum UTF8Validation {
    /// Whether every byte is below 0x80.
    @inlinable
    public static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var i = 0
        var bits: UInt64 = 0
        while i + 8 <= count {
            bits |= bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        var tail: UInt8 = 0
        while i < count {
            tail |= bytes[i]
            i += 1
        }
        return bits & 0x8080_8080_8080_8080 == 0 && tail & 0x80 == 0
    }

    /// The position of the first byte of an invalid sequence, or `nil` when `bytes` is valid UTF-8
    /// (no overlong forms, no surrogates, nothing above U+10FFFF).
    @inlinable
    public static func firstInvalidByte(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let count = bytes.count
        var i = 0
        while i + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < count {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let need: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; upper = 0x9F
            case 0xF0: need = 3; lower = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; upper = 0x8F
            default: return i
            }
            guard i + need < count else { return i }
            let b1 = bytes[i + 1]
            guard b1 >= lower && b1 <= upper else { return i }
            for k in 2...max(2, need) where k <= need {
                guard bytes[i + k] & 0xC0 == 0x80 else { return i }
            }
            i += need + 1
        }
        return nil
    }
}
