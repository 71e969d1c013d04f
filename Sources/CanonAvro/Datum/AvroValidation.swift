import CanonCore
/// Strict validation of one encoded datum.
extension AvroSchema {
    /// Checks that `bytes` hold exactly one datum of this schema, as ``AvroDatumValidator`` does (see
    /// there for every rule). This compiles a validator for the one check: keep an
    /// ``AvroDatumValidator`` to check many datums.
    public func validate(_ bytes: [UInt8], limits: AvroDecodingLimits = .default) throws(AvroError) {
        try validate(bytes, from: 0, limits: limits)
    }

    /// Validates the datum in `bytes[start...]` (after a wire-format prefix, without copying it); byte
    /// offsets in errors count from `start`.
    public func validate(_ bytes: [UInt8], from start: Int, limits: AvroDecodingLimits = .default) throws(AvroError) {
        try AvroDatumValidator(self).validate(bytes, from: start, limits: limits)
    }

    /// Whether `s` is a UUID in RFC 4122 text form (8-4-4-4-12 hex digits, either case).
    @usableFromInline
    static func isUUID(_ s: UnsafeRawBufferPointer) -> Bool {
        guard s.count == 36 else { return false }
        let dash = UInt8(ascii: "-")
        guard s[8] == dash, s[13] == dash, s[18] == dash, s[23] == dash else { return false }
        // Eight characters at a time: every byte below 0x80, and in '0'...'9' or (folded to lower case)
        // 'a'...'f'. Adding 0x80 - lo to a byte below 0x80 sets its high bit exactly when it is >= lo,
        // with no carry into the next byte. The dashes' bytes are let through (checked above).
        @inline(__always) func hex(_ w: UInt64, dashes: UInt64) -> Bool {
            let high: UInt64 = 0x8080_8080_8080_8080
            guard w & high == 0 else { return false }
            let digit = (w &+ 0x5050_5050_5050_5050) & ~(w &+ 0x4646_4646_4646_4646)
            let x = w | 0x2020_2020_2020_2020  // 'A'...'F' to 'a'...'f'; only they land in 'a'...'f'
            let letter = (x &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(x &+ 0x1919_1919_1919_1919)
            return (digit | letter | dashes) & high == high
        }
        let w0 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let w1 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let w2 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let w3 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let w4 = UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 28, as: UInt64.self))  // 28..<36
        // Dashes: byte 0 and 5 of w1 (8, 13), byte 2 and 7 of w2 (18, 23).
        return hex(w0, dashes: 0) && hex(w1, dashes: 0x0000_8000_0000_0080) && hex(w2, dashes: 0x8000_0000_0080_0000)
            && hex(w3, dashes: 0) && hex(w4, dashes: 0)
    }
}

/// Whether a two's-complement big-endian integer is below 10^precision in magnitude.
@usableFromInline
enum DecimalLimit {
    /// 10^p as big-endian bytes, p = 0...maxTable.
    static let maxTable = 160
    static let powers: [[UInt8]] = {
        var out: [[UInt8]] = [[1]]
        var current: [UInt8] = [1]
        for _ in 1...maxTable {
            var carry = 0
            for i in stride(from: current.count - 1, through: 0, by: -1) {
                let v = Int(current[i]) * 10 + carry
                current[i] = UInt8(v & 0xFF)
                carry = v >> 8
            }
            while carry > 0 {
                current.insert(UInt8(carry & 0xFF), at: 0)
                carry >>= 8
            }
            out.append(current)
        }
        return out
    }()

    @usableFromInline
    static func fits(_ bytes: UnsafeRawBufferPointer, precision: Int) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { magnitude in
            // Magnitude of the two's-complement value.
            for i in 0..<bytes.count { magnitude[i] = bytes[i] }
            if bytes.count > 0, bytes[0] & 0x80 != 0 {
                for i in 0..<bytes.count { magnitude[i] = ~magnitude[i] }
                var i = bytes.count - 1
                while i >= 0 {
                    let (v, overflow) = magnitude[i].addingReportingOverflow(1)
                    magnitude[i] = v
                    if !overflow { break }
                    i -= 1
                }
            }
            var first = 0
            while first < bytes.count && magnitude[first] == 0 { first += 1 }
            let significant = bytes.count - first
            guard precision <= maxTable else {
                // 10^p needs more than p * log2(10) / 8 bytes: anything shorter fits.
                return significant * 8 <= precision * 3
            }
            let limit = powers[precision]
            if significant != limit.count { return significant < limit.count }
            for k in 0..<significant where magnitude[first + k] != limit[k] { return magnitude[first + k] < limit[k] }
            return false
        }
    }
}
