import CanonCore

/// Limits that bound what decoding hostile input can cost: CanonCore's ``PayloadLimits``, which every
/// format's payload checks share. Block counts are also checked against the bytes left (count × the
/// item's minimum encoded size must fit), and capacity is reserved only from that bound.
public typealias AvroDecodingLimits = PayloadLimits

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
    /// Items taking no bytes read so far (see ``AvroDecodingLimits/maxEmptyItems``).
    @usableFromInline var emptyItems = 0

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
        guard b <= 1 else { throw booleanFailure(b) }
        position += 1
        return b == 1
    }

    @usableFromInline @inline(never)
    func booleanFailure(_ b: UInt8) -> AvroError {
        .data(.malformedData, "boolean byte must be 0 or 1, found \(b)", offset: position)
    }

    /// An `int`: a zig-zag varint of at most 5 bytes whose value fits 32 bits.
    @inlinable @inline(__always)
    public mutating func readInt() throws(AvroError) -> Int32 {
        guard let v = checkInt() else { throw varintFailure(bits: 32) }
        return v
    }

    /// A `long`: a zig-zag varint of at most 10 bytes whose value fits 64 bits.
    @inlinable @inline(__always)
    public mutating func readLong() throws(AvroError) -> Int64 {
        guard let v = checkLong() else { throw varintFailure(bits: 64) }
        return v
    }

    /// Why the `bits`-bit varint at the position was refused: it ends early (``Varint/decode(_:at:bits:)``
    /// stops at the end of the bytes) or does not fit.
    @usableFromInline @inline(never)
    func varintFailure(bits: Int) -> AvroError {
        var stop = position
        _ = Varint.decode(base, at: &stop, bits: bits)
        if stop >= base.count { return truncated(bits == 32 ? "int" : "long", at: position) }
        return .data(
            .malformedData,
            bits == 32 ? "int varint overflows 32 bits" : "long varint overflows 64 bits (more than 10 bytes or too large)",
            offset: position)
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

    /// Reads a length prefix and checks it against the remaining bytes, `maxLength` and (counting it)
    /// `maxTotalSize`.
    @inlinable @inline(__always)
    mutating func readLength(_ what: StaticString) throws(AvroError) -> Int {
        guard let n = checkLength() else { throw lengthFailure(what) }
        return n
    }

    /// Why ``checkLength()`` refused the length prefix at the position.
    @usableFromInline @inline(never)
    mutating func lengthFailure(_ what: StaticString) -> AvroError {
        let start = position
        let n: Int64
        do throws(AvroError) { n = try readLong() } catch { return error }
        let after = position
        position = start
        let left = base.count - after
        if n < 0 { return .data(.malformedData, "negative \(what) length \(n)", offset: start) }
        if n > Int64(left) {
            return .data(.truncated, "\(what) length \(n) exceeds the \(left) remaining byte(s)", offset: start)
        }
        if n > Int64(limits.maxLength) {
            return .data(.limitExceeded, "\(what) length \(n) exceeds the limit of \(limits.maxLength)", offset: start)
        }
        return .data(
            .limitExceeded, "decoded datum larger than the limit of \(limits.maxTotalSize) bytes", offset: after)
    }

    @inlinable
    public mutating func readBytes() throws(AvroError) -> [UInt8] {
        let n = try readLength("bytes")
        let result = [UInt8](UnsafeRawBufferPointer(rebasing: base[position..<(position + n)]))
        position += n
        return result
    }

    /// A UTF-8 string; invalid UTF-8 is an error (never repaired). `what` names it in errors (a map's
    /// keys are read as "map key").
    @inlinable @inline(__always)
    public mutating func readString(_ what: StaticString = "string") throws(AvroError) -> String {
        // Fast path, inlined: a one-byte length (under 64 bytes) of ASCII that fits the input and limits.
        if position < base.count {
            let b = base[position]
            let n = Int(b >> 1)
            if b < 0x80, b & 1 == 0, n < base.count - position, n <= limits.maxLength, totalSize + n <= limits.maxTotalSize {
                let start = position + 1
                let slice = UnsafeRawBufferPointer(rebasing: base[start..<(start + n)])
                let ascii = Self.isShortASCII(base, at: start, count: n) || UTF8Validation.isASCII(slice)
                if ascii {
                    totalSize += n
                    position = start + n
                    return String(decoding: slice, as: UTF8.self)
                }
            }
        }
        return try readStringSlow(what)
    }

    @usableFromInline
    mutating func readStringSlow(_ what: StaticString) throws(AvroError) -> String {
        let n = try readLength(what)
        let slice = UnsafeRawBufferPointer(rebasing: base[position..<(position + n)])
        try checkUTF8(n, what)
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
        guard let i = checkEnumIndex(below: symbolCount) else {
            let start = position
            let i = try readInt()
            throw indexFailure("enum index", Int64(i), symbolCount, at: start)
        }
        return i
    }

    /// A union branch index, checked against the branch count.
    @inlinable
    public mutating func readUnionIndex(branchCount: Int) throws(AvroError) -> Int {
        guard let i = checkIndex(below: branchCount) else {
            let start = position
            let i = try readLong()
            throw indexFailure("union branch index", i, branchCount, at: start)
        }
        return i
    }

    @usableFromInline @inline(never)
    func indexFailure(_ what: StaticString, _ i: Int64, _ count: Int, at start: Int) -> AvroError {
        .data(.malformedData, "\(what) \(i) out of range 0..<\(count)", offset: start)
    }

    /// Reads the count that starts a block of an array or map. Returns 0 at the end of the collection.
    ///
    /// A negative count is followed by the block's byte size, which is read and checked. The count is
    /// checked so that `count × minimumItemSize` fits in the remaining bytes and the collection's running
    /// total (`itemsSoFar`) stays within `maxCollectionItems`.
    @inlinable
    public mutating func readBlockCount(minimumItemSize: Int, itemsSoFar: Int) throws(AvroError) -> Int {
        try readBlockHeader(minimumItemSize: minimumItemSize, itemsSoFar: itemsSoFar).count
    }

    /// ``readBlockCount(minimumItemSize:itemsSoFar:)`` with where a block that declared its byte size
    /// must end (-1 when it did not): strict validation checks that its items take exactly that many bytes.
    @inlinable
    public mutating func readBlockHeader(minimumItemSize: Int, itemsSoFar: Int) throws(AvroError) -> (count: Int, end: Int) {
        guard let header = checkBlockHeader(minimumItemSize: minimumItemSize, itemsSoFar: itemsSoFar) else {
            throw blockFailure(minimumItemSize: minimumItemSize, itemsSoFar: itemsSoFar)
        }
        return header
    }

    /// Why ``checkBlockHeader(minimumItemSize:itemsSoFar:)`` refused the block header at the position.
    @usableFromInline @inline(never)
    mutating func blockFailure(minimumItemSize: Int, itemsSoFar: Int) -> AvroError {
        let start = position
        defer { position = start }
        var count: Int64
        do throws(AvroError) { count = try readLong() } catch { return error }
        if count < 0 {
            if count == .min { return .data(.malformedData, "block count \(count) out of range", offset: start) }
            count = -count
            let sizeStart = position
            let size: Int64
            do throws(AvroError) { size = try readLong() } catch { return error }
            if size < 0 || size > Int64(remaining) {
                return .data(
                    .malformedData, "block byte size \(size) is negative or exceeds the \(remaining) remaining byte(s)", offset: sizeStart)
            }
        }
        if minimumItemSize > 0 && count > Int64(remaining / minimumItemSize) {
            return .data(
                .truncated, "block count \(count) needs at least \(minimumItemSize) byte(s) per item but only \(remaining) remain",
                offset: start)
        }
        if minimumItemSize == 0 && count <= Int64(limits.maxCollectionItems - itemsSoFar) {
            return .data(
                .limitExceeded,
                "more than \(limits.maxEmptyItems) items that take no bytes (null, empty records) in one datum (block count \(count) after \(emptyItems)): the item budget",
                offset: start)
        }
        return .data(
            .limitExceeded, "collection of more than \(limits.maxCollectionItems) items (block count \(count) after \(itemsSoFar))",
            offset: start)
    }

    /// Checks a string (or map key) without making a `String`: its length and that it is UTF-8 (short
    /// ASCII strings by one or two word loads, reading past the string only within the input).
    @inlinable @inline(__always)
    public mutating func skipString(_ what: StaticString = "string") throws(AvroError) {
        guard checkString() else { throw stringFailure(what) }
    }

    /// Why ``checkString()`` refused the string at the position.
    @usableFromInline @inline(never)
    mutating func stringFailure(_ what: StaticString) -> AvroError {
        let start = position, total = totalSize
        defer { (position, totalSize) = (start, total) }
        do throws(AvroError) {
            let n = try readLength(what)
            try checkUTF8(n, what)
        } catch { return error }
        return .data(.malformedData, "invalid \(what)", offset: start)  // not reached: the check refused it
    }

    @_transparent @usableFromInline
    static func isShortASCII(_ base: UnsafeRawBufferPointer, at pos: Int, count n: Int) -> Bool {
        if n <= 8 && pos + 8 <= base.count {
            let mask: UInt64 = n == 8 ? .max : (1 << UInt64(8 * n)) &- 1
            return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: pos, as: UInt64.self)) & mask & 0x8080_8080_8080_8080 == 0
        } else if n <= 16 && pos + 16 <= base.count {
            let mask: UInt64 = n == 16 ? .max : (1 << UInt64(8 * (n - 8))) &- 1
            let words =
                base.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
                | UInt64(littleEndian: base.loadUnaligned(fromByteOffset: pos + 8, as: UInt64.self)) & mask
            return words & 0x8080_8080_8080_8080 == 0
        }
        return false
    }

    @usableFromInline @inline(never)
    func checkUTF8(_ n: Int, _ what: StaticString) throws(AvroError) {
        if let bad = UTF8Validation.firstInvalidByte(UnsafeRawBufferPointer(rebasing: base[position..<(position + n)])) {
            throw .data(.malformedData, "invalid UTF-8 in \(what)", offset: position + bad)
        }
    }

    /// Skips a `fixed` of `size` bytes.
    @inlinable
    public mutating func skipFixed(_ size: Int) throws(AvroError) {
        guard size >= 0, remaining >= size else { throw truncated("fixed(\(size))") }
        position += size
    }

    /// Checks a `uuid` string strictly: UTF-8, and a UUID in RFC 4122 text form.
    public mutating func skipUUIDString() throws(AvroError) {
        guard checkUUIDString() else { throw uuidFailure() }
    }

    @usableFromInline @inline(never)
    mutating func uuidFailure() -> AvroError {
        let start = position, total = totalSize
        defer { (position, totalSize) = (start, total) }
        let n: Int
        do throws(AvroError) {
            n = try readLength("string")
            try checkUTF8(n, "string")
        } catch { return error }
        let slice = UnsafeRawBufferPointer(rebasing: base[position..<(position + n)])
        return .data(
            .malformedData, "'\(String(decoding: slice.prefix(40), as: UTF8.self))' is not a UUID (uuid logical type)", offset: position)
    }

    /// Checks the unscaled value of a `decimal` (`length` big-endian two's-complement bytes at the
    /// position) against its precision, and skips it.
    public mutating func skipDecimal(length: Int, precision: Int) throws(AvroError) {
        guard checkDecimal(length: length, precision: precision) else {
            if length <= 0 { throw .data(.malformedData, "a decimal needs at least one byte", offset: position) }
            if length > remaining { throw truncated("decimal(\(length) bytes)") }
            throw .data(.malformedData, "decimal value has more than \(precision) digits (its precision)", offset: position)
        }
    }

    /// The error for nesting past `maxDepth`, at the position.
    @usableFromInline @inline(never)
    func depthExceeded() -> AvroError {
        .data(.limitExceeded, "nesting deeper than \(limits.maxDepth) levels", offset: position)
    }

    /// Enters a nested record, array, map or union; throws past `maxDepth`.
    @inlinable
    public mutating func enter() throws(AvroError) {
        depth += 1
        if depth > limits.maxDepth { throw depthExceeded() }
    }

    @inlinable
    public mutating func leave() { depth -= 1 }

    /// Counts `size` bytes of decoded output against `maxTotalSize`.
    @inlinable
    public mutating func account(_ size: Int) throws(AvroError) {
        totalSize += size
        if totalSize > limits.maxTotalSize { throw totalSizeExceeded() }
    }

    @usableFromInline @inline(never)
    func totalSizeExceeded() -> AvroError {
        .data(.limitExceeded, "decoded datum larger than the limit of \(limits.maxTotalSize) bytes", offset: position)
    }

    @usableFromInline @inline(never)
    func truncated(_ what: String, at start: Int? = nil) -> AvroError {
        .data(.truncated, "input ends inside \(what)", offset: start ?? position)
    }
}

/// The reader's rules as checks: each answers nil (or false) for input the matching `read…` refuses,
/// leaving the position where the item starts, and moves past the item otherwise. The throwing reads
/// are built on them (their errors say why a check refused), and the validator's program runs on them
/// directly, so a rule is written once and a valid datum builds no error.
extension AvroBinaryReader {
    @_transparent @usableFromInline
    mutating func checkLong() -> Int64? {
        var p = position
        guard let v = Varint.decodeZigZag64(base, at: &p) else { return nil }
        position = p
        return v
    }

    @_transparent @usableFromInline
    mutating func checkInt() -> Int32? {
        var p = position
        guard let v = Varint.decodeZigZag32(base, at: &p) else { return nil }
        position = p
        return v
    }

    @_transparent @usableFromInline
    mutating func checkBoolean() -> Bool {
        guard position < base.count, base[position] <= 1 else { return false }
        position += 1
        return true
    }

    /// `size` raw bytes (a float, double or fixed).
    @_transparent @usableFromInline
    mutating func checkFixed(_ size: Int) -> Bool {
        guard base.count - position >= size else { return false }
        position += size
        return true
    }

    /// A length prefix: not negative, within the bytes left, `maxLength` and (counting it) `maxTotalSize`.
    @_transparent @usableFromInline
    mutating func checkLength() -> Int? {
        var p = position
        guard let n = Varint.decodeZigZag64(base, at: &p), n >= 0, n <= Int64(base.count - p), n <= Int64(limits.maxLength),
            totalSize + Int(n) <= limits.maxTotalSize
        else { return nil }
        totalSize += Int(n)
        position = p
        return Int(n)
    }

    /// A UTF-8 string (or map key), skipped.
    @_transparent @usableFromInline
    mutating func checkString() -> Bool {
        let start = position, total = totalSize
        guard let n = checkLength() else { return false }
        if !Self.isShortASCII(base, at: position, count: n),
            UTF8Validation.firstInvalidByte(UnsafeRawBufferPointer(rebasing: base[position..<(position + n)])) != nil
        {
            position = start
            totalSize = total
            return false
        }
        position += n
        return true
    }

    /// A string that is a UUID in RFC 4122 text form (so also UTF-8), skipped.
    @_transparent @usableFromInline
    mutating func checkUUIDString() -> Bool {
        let start = position, total = totalSize
        guard let n = checkLength() else { return false }
        guard AvroSchema.isUUID(UnsafeRawBufferPointer(rebasing: base[position..<(position + n)])) else {
            position = start
            totalSize = total
            return false
        }
        position += n
        return true
    }

    /// A decimal's unscaled value of `length` bytes at the position: at least one byte, within the input,
    /// at most `precision` digits.
    @_transparent @usableFromInline
    mutating func checkDecimal(length: Int, precision: Int) -> Bool {
        guard length > 0, length <= base.count - position,
            DecimalLimit.fits(UnsafeRawBufferPointer(rebasing: base[position..<(position + length)]), precision: precision)
        else { return false }
        position += length
        return true
    }

    @_transparent @usableFromInline
    mutating func checkIndex(below count: Int) -> Int? {
        var p = position
        guard let i = Varint.decodeZigZag64(base, at: &p), i >= 0, i < Int64(count) else { return nil }
        position = p
        return Int(i)
    }

    /// An enum index: an `int` below `count`.
    @_transparent @usableFromInline
    mutating func checkEnumIndex(below count: Int) -> Int? {
        var p = position
        guard let i = Varint.decodeZigZag32(base, at: &p), i >= 0, Int(i) < count else { return nil }
        position = p
        return Int(i)
    }

    /// A block header: the item count (0 at the end), checked against the bytes left
    /// (`minimumItemSize` each) and `maxCollectionItems` (after `itemsSoFar`), and where a block that
    /// declared its byte size must end (-1 when it did not).
    @inlinable
    mutating func checkBlockHeader(minimumItemSize: Int, itemsSoFar: Int) -> (count: Int, end: Int)? {
        var p = position
        guard var count = Varint.decodeZigZag64(base, at: &p) else { return nil }
        var end = -1
        if count < 0 {
            guard count != .min, let size = Varint.decodeZigZag64(base, at: &p), size >= 0, size <= Int64(base.count - p) else {
                return nil
            }
            count = -count
            end = p + Int(size)
        }
        if count > 0 {
            guard minimumItemSize == 0 || count <= Int64((base.count - p) / minimumItemSize),
                count <= Int64(limits.maxCollectionItems - itemsSoFar)
            else { return nil }
            if minimumItemSize == 0 {
                guard count <= Int64(limits.maxEmptyItems - emptyItems) else { return nil }
                emptyItems += Int(count)
            }
        }
        position = p
        return count == 0 ? (0, -1) : (Int(count), end)
    }
}
