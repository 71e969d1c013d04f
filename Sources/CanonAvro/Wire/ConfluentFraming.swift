/// Confluent's wire format: magic byte 0, a 4-byte big-endian schema ID, then the serialized datum.
public enum ConfluentFraming {
    /// Splits a framed message into its schema ID and payload.
    public static func split(_ bytes: [UInt8]) throws(AvroError) -> (schemaID: Int32, payload: [UInt8]) {
        guard bytes.count >= 5 else {
            throw AvroError(.malformedData, "a framed message needs 5 header bytes, found \(bytes.count)", location: .init(byteOffset: 0))
        }
        guard bytes[0] == 0 else {
            throw AvroError(
                .malformedData, "unknown magic byte \(bytes[0]) (Confluent framing starts with 0)", location: .init(byteOffset: 0))
        }
        return (schemaID(bytes), Array(bytes[5...]))
    }

    /// The schema ID in bytes 1-4 of a framed message (the caller has checked there are five).
    @inlinable
    public static func schemaID(_ bytes: [UInt8]) -> Int32 {
        Int32(bitPattern: UInt32(bytes[1]) << 24 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 8 | UInt32(bytes[4]))
    }
}

extension AvroWriting {
    /// Writes Confluent's 5-byte header: magic byte 0 and the big-endian schema ID.
    @inlinable
    public mutating func writeConfluentPrefix(schemaID: Int32) {
        writeByte(0)
        withUnsafeBytes(of: UInt32(bitPattern: schemaID).bigEndian) { writeRaw($0) }
    }
}
