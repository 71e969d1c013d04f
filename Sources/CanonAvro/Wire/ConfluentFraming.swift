import CanonCore

extension ConfluentFraming {
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
}

extension AvroWriting {
    /// Writes Confluent's 5-byte header: magic byte 0 and the big-endian schema ID.
    @inlinable
    public mutating func writeConfluentPrefix(schemaID: Int32) {
        writeByte(0)
        withUnsafeBytes(of: UInt32(bitPattern: schemaID).bigEndian) { writeRaw($0) }
    }
}
