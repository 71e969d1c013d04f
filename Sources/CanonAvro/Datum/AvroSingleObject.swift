import CanonCore
/// Avro's single-object encoding: the marker `C3 01`, the writer schema's CRC-64-AVRO fingerprint
/// (8 bytes, little-endian), then the binary datum.
public enum AvroSingleObject {
    /// The two-byte marker (version 1).
    public static let marker: [UInt8] = [0xC3, 0x01]

    /// The 10-byte header for a schema with this fingerprint.
    public static func header(fingerprint: UInt64) -> [UInt8] {
        marker + (0..<8).map { UInt8(truncatingIfNeeded: fingerprint >> (8 * $0)) }
    }

    /// Encodes a datum with its header.
    public static func encode(_ value: AvroValue, schema: AvroSchema) throws(AvroError) -> [UInt8] {
        var writer = AvroBinaryWriter()
        writer.writeFixed(header(fingerprint: schema.rabinFingerprint))
        try schema.encode(value, into: &writer)
        return writer.bytes
    }

    /// The fingerprint in a message's header; throws when the marker is missing or the message is too short.
    public static func fingerprint(of message: [UInt8]) throws(AvroError) -> UInt64 {
        guard message.count >= 10 else {
            throw AvroError(
                .invalidSingleObject, "single-object message shorter than its 10-byte header", location: .init(byteOffset: message.count))
        }
        guard message[0] == 0xC3, message[1] == 0x01 else {
            throw AvroError(
                .invalidSingleObject, "not a single-object message: marker is \(TextHex.encode(Array(message[0..<2]))), expected c301",
                location: .init(byteOffset: 0))
        }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(message[2 + $1]) << (8 * $1) }
    }

    /// Decodes a message written with `schema`; a different fingerprint is an error.
    public static func decode(_ message: [UInt8], schema: AvroSchema, limits: AvroDecodingLimits = .default) throws(AvroError) -> AvroValue
    {
        let fp = try fingerprint(of: message)
        let expected = schema.rabinFingerprint
        guard fp == expected else {
            throw AvroError(
                .invalidSingleObject, "message fingerprint \(String(fp, radix: 16)) is not the schema's \(String(expected, radix: 16))",
                location: .init(byteOffset: 2))
        }
        return try schema.decode(Array(message[10...]), limits: limits)
    }
}

/// Lowercase hex text of bytes, and back.
public enum TextHex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from hex text (whitespace ignored); `nil` when it is not an even number of hex digits.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}
