import CanonCore
import CanonLog

/// Why a Kafka request could not be read: what was expected and at which byte of the request.
public struct KafkaDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public var description: String { "\(message) (at byte \(offset) of the request)" }
}

/// Reads the Kafka protocol's primitive types from a request body: big-endian integers, strings and
/// bytes with int16/int32 lengths, arrays with int32 counts, and the flexible versions' compact forms
/// (unsigned varint lengths plus one) and tagged fields (KIP-482). Every length is checked against what
/// is left, so a hostile length fails instead of allocating.
struct KafkaReader {
    let bytes: [UInt8]
    private(set) var position: Int

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    func failure(_ message: String) -> KafkaDecodingError { KafkaDecodingError(message: message, offset: position) }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(KafkaDecodingError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw failure("the request ends inside a \(size * 8)-bit integer") }
        defer { position += size }
        return bytes.withUnsafeBytes { [position] in $0.loadBigEndian(T.self, at: position) }
    }

    mutating func int8() throws(KafkaDecodingError) -> Int8 { try integer(Int8.self) }
    mutating func int16() throws(KafkaDecodingError) -> Int16 { try integer(Int16.self) }
    mutating func int32() throws(KafkaDecodingError) -> Int32 { try integer(Int32.self) }
    mutating func int64() throws(KafkaDecodingError) -> Int64 { try integer(Int64.self) }
    mutating func bool() throws(KafkaDecodingError) -> Bool { try int8() != 0 }

    mutating func unsignedVarint() throws(KafkaDecodingError) -> UInt32 {
        var position = self.position
        let value = bytes.withUnsafeBytes { Varint.decode($0, at: &position, bits: 32) }
        guard let value else { throw failure("an unsigned varint is truncated or too long") }
        self.position = position
        return UInt32(value)
    }

    private mutating func take(_ count: Int) throws(KafkaDecodingError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw failure("a length of \(count) runs past the request's end") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    private mutating func text(_ count: Int) throws(KafkaDecodingError) -> String {
        let slice = try take(count)
        guard let s = String(validating: slice, as: UTF8.self) else { throw failure("a string is not UTF-8") }
        return s
    }

    /// `nil` for length -1 (a null string); `compact` reads the flexible form.
    mutating func nullableString(compact: Bool = false) throws(KafkaDecodingError) -> String? {
        let length = compact ? Int(try unsignedVarint()) - 1 : Int(try int16())
        return length < 0 ? nil : try text(length)
    }

    mutating func string(compact: Bool = false) throws(KafkaDecodingError) -> String {
        guard let s = try nullableString(compact: compact) else { throw failure("a string that may not be null is null") }
        return s
    }

    mutating func nullableBytes(compact: Bool = false) throws(KafkaDecodingError) -> [UInt8]? {
        let length = compact ? Int(try unsignedVarint()) - 1 : Int(try int32())
        return length < 0 ? nil : Array(try take(length))
    }

    /// An array's count (`nil` for a null array), checked against what is left: each item takes at least
    /// `minimumItemSize` bytes.
    mutating func arrayCount(compact: Bool = false, minimumItemSize: Int = 1) throws(KafkaDecodingError) -> Int? {
        let count = compact ? Int(try unsignedVarint()) - 1 : Int(try int32())
        guard count >= 0 else { return nil }
        guard count * max(minimumItemSize, 1) <= remaining else { throw failure("an array of \(count) items runs past the request's end") }
        return count
    }

    /// Reads `count` items with `item`, an empty array for a null one.
    mutating func array<T>(
        compact: Bool = false, minimumItemSize: Int = 1, _ item: (inout KafkaReader) throws(KafkaDecodingError) -> T
    ) throws(KafkaDecodingError) -> [T] {
        let count = try arrayCount(compact: compact, minimumItemSize: minimumItemSize) ?? 0
        var out: [T] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try item(&self)) }
        return out
    }

    /// Skips a flexible version's tagged fields (none of them are understood yet).
    mutating func skipTaggedFields() throws(KafkaDecodingError) {
        let count = try unsignedVarint()
        for _ in 0..<count {
            _ = try unsignedVarint()
            let size = Int(try unsignedVarint())
            _ = try take(size)
        }
    }
}

/// Writes the Kafka protocol's primitive types, big-endian, into a growing buffer.
struct KafkaWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func integer<T: FixedWidthInteger>(_ v: T) { bytes.appendBigEndian(v) }

    mutating func int8(_ v: Int8) { integer(v) }
    mutating func int16(_ v: Int16) { integer(v) }
    mutating func int32(_ v: Int32) { integer(v) }
    mutating func int64(_ v: Int64) { integer(v) }
    mutating func bool(_ v: Bool) { int8(v ? 1 : 0) }
    mutating func unsignedVarint(_ v: UInt32) { Varint.append(UInt64(v), to: &bytes) }

    mutating func nullableString(_ s: String?, compact: Bool = false) {
        guard let s else {
            if compact { unsignedVarint(0) } else { int16(-1) }
            return
        }
        var utf8 = Array(s.utf8)
        if !compact, utf8.count > Int(Int16.max) {
            // An int16 length holds 32,767 bytes: longer text (a long refusal reason) is cut at a character.
            var end = Int(Int16.max)
            while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }
            utf8.removeSubrange(end...)
        }
        if compact { unsignedVarint(UInt32(utf8.count + 1)) } else { int16(Int16(clamping: utf8.count)) }
        bytes += utf8
    }

    mutating func string(_ s: String, compact: Bool = false) { nullableString(s, compact: compact) }

    mutating func nullableBytes(_ b: [UInt8]?, compact: Bool = false) {
        guard let b else {
            if compact { unsignedVarint(0) } else { int32(-1) }
            return
        }
        if compact { unsignedVarint(UInt32(b.count + 1)) } else { int32(Int32(clamping: b.count)) }
        bytes += b
    }

    mutating func arrayCount(_ count: Int, compact: Bool = false) {
        if compact { unsignedVarint(UInt32(count + 1)) } else { int32(Int32(clamping: count)) }
    }

    mutating func array<T>(_ items: [T], compact: Bool = false, _ item: (inout KafkaWriter, T) -> Void) {
        arrayCount(items.count, compact: compact)
        for i in items { item(&self, i) }
    }

    /// No tagged fields.
    mutating func emptyTaggedFields() { unsignedVarint(0) }

    mutating func append(_ other: [UInt8]) { bytes += other }
}
