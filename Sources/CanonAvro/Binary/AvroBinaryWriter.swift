/// Appends Avro binary encodings to a reusable byte buffer.
///
/// This is the runtime that generic and generated encoders call: keep one writer, call `reset()` between
/// datums, and the buffer's capacity is reused.
public struct AvroBinaryWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its capacity.
    @inlinable
    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    @inlinable
    public mutating func writeNull() {}

    @inlinable
    public mutating func writeBoolean(_ v: Bool) { bytes.append(v ? 1 : 0) }

    @inlinable
    public mutating func writeInt(_ v: Int32) { writeLong(Int64(v)) }

    /// Zig-zag, then base-128 varint (7 bits a byte, least significant group first).
    @inlinable
    public mutating func writeLong(_ v: Int64) {
        var n = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while n >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: n))
    }

    @inlinable
    public mutating func writeFloat(_ v: Float) {
        let bits = v.bitPattern
        bytes.append(UInt8(truncatingIfNeeded: bits))
        bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
        bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
        bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
    }

    @inlinable
    public mutating func writeDouble(_ v: Double) {
        let bits = v.bitPattern
        withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func writeBytes<C: Collection>(_ v: C) where C.Element == UInt8 {
        writeLong(Int64(v.count))
        bytes.append(contentsOf: v)
    }

    @inlinable
    public mutating func writeString(_ v: String) {
        var v = v
        v.withUTF8 { utf8 in
            writeLong(Int64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Writes exactly the given bytes (a fixed value); the caller checks the size.
    @inlinable
    public mutating func writeFixed<C: Collection>(_ v: C) where C.Element == UInt8 {
        bytes.append(contentsOf: v)
    }

    /// Writes a block count (array/map item count). Finish a collection with `writeLong(0)`.
    @inlinable
    public mutating func writeBlockCount(_ count: Int) { writeLong(Int64(count)) }

    /// The number of bytes `writeLong(v)` appends.
    @inlinable
    public static func encodedSize(ofLong v: Int64) -> Int {
        let n = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        return n == 0 ? 1 : (64 - n.leadingZeroBitCount + 6) / 7
    }
}
