/// Where Avro binary encodings are written: a growable array (``AvroBinaryWriter``) or a fixed buffer
/// (``AvroBufferWriter``). Every `write…` method is built on the requirements (the last two have
/// default implementations that a writer may replace with faster ones), and is inlinable, so
/// generic encoders (generated code is generic over its writer) are specialized per writer type.
public protocol AvroWriting {
    /// Appends one byte.
    mutating func writeByte(_ byte: UInt8)
    /// Appends raw bytes.
    mutating func writeRaw(_ bytes: UnsafeRawBufferPointer)
    /// Zig-zag, then base-128 varint (7 bits a byte, least significant group first).
    mutating func writeLong(_ v: Int64)
    /// A length-prefixed UTF-8 string.
    mutating func writeString(_ v: String)
}

extension AvroWriting {
    @inlinable
    public mutating func writeLong(_ v: Int64) {
        var n = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while n >= 0x80 {
            writeByte(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        writeByte(UInt8(truncatingIfNeeded: n))
    }

    @inlinable
    public mutating func writeNull() {}

    @inlinable
    public mutating func writeBoolean(_ v: Bool) { writeByte(v ? 1 : 0) }

    @inlinable
    public mutating func writeInt(_ v: Int32) { writeLong(Int64(v)) }

    @inlinable
    public mutating func writeFloat(_ v: Float) {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { writeRaw($0) }
    }

    @inlinable
    public mutating func writeDouble(_ v: Double) {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { writeRaw($0) }
    }

    @inlinable
    public mutating func writeBytes<C: Collection>(_ v: C) where C.Element == UInt8 {
        writeLong(Int64(v.count))
        writeFixed(v)
    }

    @inlinable
    public mutating func writeString(_ v: String) {
        let done: Void? = v.utf8.withContiguousStorageIfAvailable { utf8 in
            writeLong(Int64(utf8.count))
            writeRaw(UnsafeRawBufferPointer(utf8))
        }
        if done == nil {
            var copy = v
            copy.withUTF8 { utf8 in
                writeLong(Int64(utf8.count))
                writeRaw(UnsafeRawBufferPointer(utf8))
            }
        }
    }

    /// Writes exactly the given bytes (a fixed value); the caller checks the size.
    @inlinable
    public mutating func writeFixed<C: Collection>(_ v: C) where C.Element == UInt8 {
        if v.withContiguousStorageIfAvailable({ writeRaw(UnsafeRawBufferPointer($0)) }) == nil {
            for b in v { writeByte(b) }
        }
    }

    /// Writes a block count (array/map item count). Finish a collection with `writeLong(0)`.
    @inlinable
    public mutating func writeBlockCount(_ count: Int) { writeLong(Int64(count)) }
}

/// Appends Avro binary encodings to a growable byte array.
///
/// This is the runtime that generic and generated encoders call: keep one writer, call `reset()` between
/// datums, and the buffer's capacity is reused.
public struct AvroBinaryWriter: AvroWriting, Sendable {
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
    public mutating func writeByte(_ byte: UInt8) { bytes.append(byte) }

    @inlinable
    public mutating func writeRaw(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    /// The number of bytes `writeLong(v)` appends.
    @inlinable
    public static func encodedSize(ofLong v: Int64) -> Int {
        let n = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        return n == 0 ? 1 : (64 - n.leadingZeroBitCount + 6) / 7
    }
}

/// Writes Avro binary into a fixed buffer through a pointer: no capacity or uniqueness checks per byte,
/// only a bounds check. A write past the end sets ``overflowed`` and writes nothing more; the caller then
/// encodes again with an ``AvroBinaryWriter``. Generated `avroBinary()` encodes into a stack buffer with
/// it and copies the result into an exactly sized array.
public struct AvroBufferWriter: AvroWriting {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    @usableFromInline var written: Int
    @usableFromInline var didOverflow: Bool
    /// Bytes written.
    @inlinable public var count: Int { written }
    /// Whether a write did not fit (what was written is then incomplete).
    @inlinable public var overflowed: Bool { didOverflow }

    /// A writer over `buffer`, which must stay valid while the writer is used.
    @inlinable
    public init(_ buffer: UnsafeMutableRawBufferPointer) {
        base = buffer.baseAddress!
        capacity = buffer.count
        written = 0
        didOverflow = false
    }

    @inlinable
    public mutating func writeByte(_ byte: UInt8) {
        guard written < capacity else { return didOverflow = true }
        base.storeBytes(of: byte, toByteOffset: written, as: UInt8.self)
        written += 1
    }

    @inlinable
    public mutating func writeRaw(_ raw: UnsafeRawBufferPointer) {
        let n = raw.count
        guard n > 0 else { return }
        guard n <= capacity - written else { return didOverflow = true }
        (base + written).copyMemory(from: raw.baseAddress!, byteCount: n)
        written += n
    }

    @inlinable @inline(__always)
    public mutating func writeLong(_ v: Int64) {
        var n = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        guard capacity - written >= 10 else {
            while n >= 0x80 {
                writeByte(UInt8(truncatingIfNeeded: n) | 0x80)
                n >>= 7
            }
            return writeByte(UInt8(truncatingIfNeeded: n))
        }
        var at = written
        while n >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: n) | 0x80, toByteOffset: at, as: UInt8.self)
            n >>= 7
            at += 1
        }
        base.storeBytes(of: UInt8(truncatingIfNeeded: n), toByteOffset: at, as: UInt8.self)
        written = at + 1
    }

    /// How large a stack buffer `encoding` uses; a value that does not fit is encoded again into an array.
    public static let stackCapacity = 1024

    @inlinable @inline(__always)
    public mutating func writeString(_ v: String) {
        let n = v.utf8.count
        writeLong(Int64(n))
        guard n <= capacity - written else { return didOverflow = true }
        // UTF8View copies its contents directly (a memcpy, or the inline bytes of a small string).
        let target = UnsafeMutableRawBufferPointer(start: base + written, count: n).bindMemory(to: UInt8.self)
        _ = target.initialize(from: v.utf8)
        written += n
    }

    /// Runs `body` with a writer over a stack buffer and returns the bytes it wrote, exactly sized;
    /// `nil` when they did not fit in ``stackCapacity``.
    @inlinable
    public static func encoding<E: Error>(_ body: (inout AvroBufferWriter) throws(E) -> Void) throws(E) -> [UInt8]? {
        let result = withUnsafeTemporaryAllocation(byteCount: stackCapacity, alignment: 8) { (raw) -> Result<[UInt8]?, E> in
            var writer = AvroBufferWriter(raw)
            do throws(E) {
                try body(&writer)
            } catch {
                return .failure(error)
            }
            if writer.overflowed { return .success(nil) }
            return .success([UInt8](UnsafeRawBufferPointer(start: raw.baseAddress, count: writer.count)))
        }
        switch consume result {  // moved out, not copied
        case .success(let bytes): return bytes
        case .failure(let error): throw error
        }
    }
}
