/// Base-128 varints (7 bits a byte, least significant group first, the high bit set on every byte but the
/// last) and zig-zag signs, as Avro's binary encoding and Kafka's record format write them.
///
/// The package's one varint decoder: the Avro reader (and through it the validator and generated code),
/// the record batch reader and the Snappy codec all read with ``decode(_:at:bits:)``.
public enum Varint {
    /// Decodes the varint at `position` whose value must fit in `bits` bits (at most 64; Snappy's
    /// 5-byte lengths use 35), and moves
    /// `position` past it.
    ///
    /// Returns nil when the bytes end inside the varint (`position` is then `bytes.count`) or when it
    /// does not fit (a 64-bit varint of more than 10 bytes or with a 10th byte above 1, a 32-bit one of
    /// more than 5 bytes or with a 5th byte above 0x0F; `position` is then the byte that overflows).
    @_transparent
    public static func decode(_ bytes: UnsafeRawBufferPointer, at position: inout Int, bits: Int) -> UInt64? {
        // One byte first; longer ones in the loop.
        if position < bytes.count {
            let first = bytes[position]
            if first < 0x80 {
                position += 1
                return UInt64(first)
            }
        }
        return decodeLong(bytes, at: &position, bits: bits)
    }

    @inlinable @inline(__always)
    static func decodeLong(_ bytes: UnsafeRawBufferPointer, at position: inout Int, bits: Int) -> UInt64? {
        var p = position
        var result: UInt64 = 0
        var shift = 0
        while true {
            guard p < bytes.count else {
                position = p
                return nil
            }
            let b = bytes[p]
            // The last byte a `bits`-bit value may take holds only the bits left, and no continuation.
            if shift + 7 > bits && (shift >= bits || UInt64(b) >> UInt64(bits - shift) != 0) {
                position = p
                return nil
            }
            p += 1
            result |= UInt64(b & 0x7F) << UInt64(shift)
            if b < 0x80 { break }
            shift += 7
        }
        position = p
        return result
    }

    /// A zig-zag `long` (64 bits) at `position`; nil as for ``decode(_:at:bits:)``.
    @_transparent
    public static func decodeZigZag64(_ bytes: UnsafeRawBufferPointer, at position: inout Int) -> Int64? {
        guard let n = decode(bytes, at: &position, bits: 64) else { return nil }
        return Int64(bitPattern: (n >> 1) ^ (0 &- (n & 1)))
    }

    /// A zig-zag `int` (32 bits) at `position`; nil as for ``decode(_:at:bits:)``.
    @_transparent
    public static func decodeZigZag32(_ bytes: UnsafeRawBufferPointer, at position: inout Int) -> Int32? {
        guard let n = decode(bytes, at: &position, bits: 32) else { return nil }
        let v = UInt32(truncatingIfNeeded: n)
        return Int32(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// The zig-zag form of `v`: small magnitudes of either sign become small unsigned numbers.
    @inlinable @inline(__always)
    public static func zigZag(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    /// Writes `n` as a varint, one byte at a time through `write`.
    @inlinable @inline(__always)
    public static func encode(_ n: UInt64, _ write: (UInt8) -> Void) {
        var n = n
        while n >= 0x80 {
            write(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        write(UInt8(truncatingIfNeeded: n))
    }

    /// Appends `n` as a varint to `bytes`.
    @inlinable
    public static func append(_ n: UInt64, to bytes: inout [UInt8]) {
        encode(n) { bytes.append($0) }
    }
}
