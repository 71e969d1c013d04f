/// Confluent's wire format, shared by every format: magic byte 0, a 4-byte big-endian schema ID, then
/// the payload (for Protobuf, message indexes come first in it).
public enum ConfluentFraming {
    /// The schema ID in bytes 1-4 of a framed message (the caller has checked there are five).
    @inlinable
    public static func schemaID(_ bytes: [UInt8]) -> Int32 {
        Int32(bitPattern: UInt32(bytes[1]) << 24 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 8 | UInt32(bytes[4]))
    }

    /// The 5-byte prefix for a schema ID.
    public static func prefix(schemaID: Int32) -> [UInt8] {
        let id = UInt32(bitPattern: schemaID)
        return [0, UInt8(id >> 24), UInt8(id >> 16 & 0xff), UInt8(id >> 8 & 0xff), UInt8(id & 0xff)]
    }

    /// Why `bytes` is not a framed message (fewer than five bytes, or a magic byte other than 0), or
    /// `nil` when it is. Every format's `split` checks the header with this.
    public static func headerProblem(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 5 else { return "a framed message needs 5 header bytes, found \(bytes.count)" }
        guard bytes[0] == 0 else { return "unknown magic byte \(bytes[0]) (Confluent framing starts with 0)" }
        return nil
    }
}
