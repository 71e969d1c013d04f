/// Schema fingerprints, computed over the UTF-8 bytes of a schema's Parsing Canonical Form exactly as
/// the Avro specification defines them. All are written in Swift (no C, no CryptoKit).
public enum AvroFingerprint {
    /// The algorithms the specification names.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// CRC-64-AVRO (Rabin), 8 bytes.
        case rabin
        /// MD5, 16 bytes.
        case md5
        /// SHA-256, 32 bytes.
        case sha256
    }

    /// The digest of `bytes` with `algorithm`; Rabin as its 8 little-endian bytes (as Java and Python return it).
    public static func digest(_ algorithm: Algorithm, of bytes: [UInt8]) -> [UInt8] {
        switch algorithm {
        case .rabin:
            let fp = rabin(bytes)
            return (0..<8).map { UInt8(truncatingIfNeeded: fp >> (8 * $0)) }
        case .md5: return MD5.digest(bytes)
        case .sha256: return SHA256.digest(bytes)
        }
    }

    /// CRC-64-AVRO of `bytes` as an unsigned 64-bit value.
    public static func rabin<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var fp = empty
        for b in bytes {
            fp = (fp >> 8) ^ table[Int(UInt8(truncatingIfNeeded: fp) ^ b)]
        }
        return fp
    }

    /// The CRC-64-AVRO initial value (the fingerprint of no bytes).
    public static let empty: UInt64 = 0xc15d_213a_a4d7_a795

    private static let table: [UInt64] = (0..<256).map { i in
        var fp = UInt64(i)
        for _ in 0..<8 {
            fp = (fp >> 1) ^ (empty & (0 &- (fp & 1)))
        }
        return fp
    }
}

extension AvroSchema {
    /// The CRC-64-AVRO fingerprint of the Parsing Canonical Form, as an unsigned value.
    /// (`Int64(bitPattern:)` gives the signed value Java and `schema-tests.txt` print.)
    /// Computed once per schema table and root, then remembered.
    public var rabinFingerprint: UInt64 {
        plan.fingerprints.value(for: root) { AvroFingerprint.rabin(Array(canonicalForm.utf8)) }
    }

    /// The fingerprint of the Parsing Canonical Form with `algorithm`.
    public func fingerprint(_ algorithm: AvroFingerprint.Algorithm) -> [UInt8] {
        AvroFingerprint.digest(algorithm, of: Array(canonicalForm.utf8))
    }
}
