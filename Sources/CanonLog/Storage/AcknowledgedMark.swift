/// A partition's acknowledged mark (the file `acknowledged`): every record below `nextOffset` was
/// made durable and acknowledged; it ends at byte `position` of the segment `segmentBase`.
///
/// It is written in place (32 bytes at byte 0, one `pwrite` and one `fdatasync`) by every sync, after
/// the segment's own `fdatasync` and before any append that sync covers is answered, so it never
/// claims a record that is not on disk, and it covers every record a producer was told is stored.
/// Recovery uses it as a floor: a torn tail may be cut only above it; a log that ends below it lost
/// acknowledged records, which is damage, never a torn tail (see ``PartitionLog``).
///
/// Layout: `CAK1`, the segment base, the position and the next offset (8 bytes each, big-endian),
/// and a CRC-32C of those 28 bytes. A mark whose CRC does not match (a torn write of the mark itself)
/// is ignored, and the recovery checkpoint is the floor instead.
struct AcknowledgedMark: Equatable, Sendable {
    var segmentBase: Int64
    var position: Int
    var nextOffset: Int64

    /// The file's name in a partition directory.
    static let fileName = "acknowledged"
    static let size = 32
    private static let magic: [UInt8] = Array("CAK1".utf8)

    init(segmentBase: Int64, position: Int, nextOffset: Int64) {
        self.segmentBase = segmentBase
        self.position = position
        self.nextOffset = nextOffset
    }

    /// Reads a mark file's bytes: nil when they are not a whole mark (empty: nothing acknowledged yet).
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= Self.size, Array(bytes[0..<4]) == Self.magic else { return nil }
        let fields = bytes.withUnsafeBytes { raw -> (Int64, Int64, Int64, UInt32) in
            (
                raw.loadBigEndian(Int64.self, at: 4), raw.loadBigEndian(Int64.self, at: 12), raw.loadBigEndian(Int64.self, at: 20),
                raw.loadBigEndian(UInt32.self, at: 28)
            )
        }
        guard CRC32C.checksum(Array(bytes[0..<28])) == fields.3, fields.0 >= 0, fields.1 >= 0, fields.2 >= fields.0 else { return nil }
        self.init(segmentBase: fields.0, position: Int(fields.1), nextOffset: fields.2)
    }

    var bytes: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(Self.size)
        out.appendBigEndian(segmentBase)
        out.appendBigEndian(Int64(position))
        out.appendBigEndian(nextOffset)
        out.appendBigEndian(CRC32C.checksum(out))
        return out
    }
}
