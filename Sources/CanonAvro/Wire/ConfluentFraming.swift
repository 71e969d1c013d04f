import CanonCore

extension ConfluentFraming {
    /// Splits a framed message into its schema ID and payload.
    public static func split(_ bytes: [UInt8]) throws(AvroError) -> (schemaID: Int32, payload: [UInt8]) {
        if let problem = headerProblem(bytes) { throw AvroError(.malformedData, problem, location: .init(byteOffset: 0)) }
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
