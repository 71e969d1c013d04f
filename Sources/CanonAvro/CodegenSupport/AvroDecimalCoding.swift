import Foundation

// `decimal` as `Foundation.Decimal` (precision <= 38), converted to and from the unscaled integer exactly:
// no `NSDecimalNumber`, no `Double`, never rounded. A value with more fractional digits than the schema's
// scale, or more digits than its precision, is an error.

/// A 128-bit magnitude as two words: the unscaled value of a decimal of up to 38 digits.
@usableFromInline
struct Magnitude128: Equatable, Sendable {
    @usableFromInline var hi: UInt64
    @usableFromInline var lo: UInt64

    @usableFromInline init(hi: UInt64, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    @usableFromInline var isZero: Bool { hi == 0 && lo == 0 }

    @usableFromInline static func < (a: Self, b: Self) -> Bool { a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo }

    /// `self * m`, or nil on overflow.
    @usableFromInline func multiplied(by m: UInt64) -> Magnitude128? {
        let low = lo.multipliedFullWidth(by: m)
        let high = hi.multipliedFullWidth(by: m)
        guard high.high == 0 else { return nil }
        let (sum, overflow) = high.low.addingReportingOverflow(low.high)
        guard !overflow else { return nil }
        return Magnitude128(hi: sum, lo: low.low)
    }

    /// `(self / d, self % d)`.
    @usableFromInline func divided(by d: UInt64) -> (Magnitude128, UInt64) {
        let qh = hi / d, rh = hi % d
        let (ql, r) = d.dividingFullWidth((rh, lo))
        return (Magnitude128(hi: qh, lo: ql), r)
    }

    /// 10^k for k in 0...38.
    @usableFromInline static let powersOfTen: [Magnitude128] = {
        var out = [Magnitude128(hi: 0, lo: 1)]
        for _ in 1...38 { out.append(out.last!.multiplied(by: 10)!) }
        return out
    }()
}

/// How a `Decimal` is laid out in memory on this platform, checked once against values built through the
/// public API. When the check fails (another Foundation), conversion falls back to reading the decimal's
/// exact `description`.
@usableFromInline
enum DecimalLayout {
    @usableFromInline static let isKnown: Bool = {
        // -12345.678 and 2^64 + 5 (three 16-bit words and five words).
        let a = Decimal(sign: .minus, exponent: -3, significand: Decimal(12_345_678 as UInt64))
        let b = Decimal(UInt64.max) + Decimal(6 as UInt64)
        guard let pa = read(a), let pb = read(b) else { return false }
        return pa.negative && pa.exponent == -3 && pa.magnitude == Magnitude128(hi: 0, lo: 12_345_678)
            && !pb.negative && pb.exponent == 0 && pb.magnitude == Magnitude128(hi: 1, lo: 5)
    }()

    /// swift-foundation's layout: byte 0 the exponent, byte 1 the length in 16-bit words (high nibble) with
    /// the sign (bit 3), bytes 4..<20 the mantissa as little-endian 16-bit words.
    @usableFromInline static func read(_ d: Decimal) -> (negative: Bool, exponent: Int, magnitude: Magnitude128)? {
        guard MemoryLayout<Decimal>.size == 20 else { return nil }
        return withUnsafeBytes(of: d) { raw in
            let exponent = Int(Int8(bitPattern: raw[0]))
            let length = Int(raw[1] >> 4)
            let negative = raw[1] & 0x08 != 0
            guard length <= 8 else { return nil }
            var lo: UInt64 = 0, hi: UInt64 = 0
            for i in 0..<length {
                let w = UInt64(raw[4 + 2 * i]) | UInt64(raw[5 + 2 * i]) << 8
                if i < 4 { lo |= w << (16 * UInt64(i)) } else { hi |= w << (16 * UInt64(i - 4)) }
            }
            return (negative, exponent, Magnitude128(hi: hi, lo: lo))
        }
    }
}

/// Conversions between `Foundation.Decimal` and Avro's unscaled two's-complement integers.
public enum AvroDecimal {
    /// The most digits a `Foundation.Decimal` holds exactly; a `decimal` of higher precision is generated
    /// as ``AvroBigDecimal``.
    public static let maximumPrecision = 38

    /// The `Decimal` of big-endian two's-complement unscaled bytes at `scale`, checked against `precision`.
    public static func decimal(unscaledBytes bytes: [UInt8], precision: Int, scale: Int) throws(AvroError) -> Decimal {
        guard let value = bytes.withUnsafeBytes({ decimal($0, precision: precision, scale: scale) }) else {
            throw AvroError(.datumMismatch, "decimal value has more than \(precision) digits (decimal(\(precision),\(scale)))")
        }
        return value
    }

    /// The `Decimal` of big-endian two's-complement unscaled bytes, or nil when they have more digits
    /// than `precision` (at most 38).
    @usableFromInline
    static func decimal(_ bytes: UnsafeRawBufferPointer, precision: Int, scale: Int) -> Decimal? {
        guard let (negative, m) = magnitude(of: bytes), precision <= maximumPrecision, m < Magnitude128.powersOfTen[precision] else {
            return nil
        }
        return decimal(negative: negative, m, scale: scale)
    }

    /// The `Decimal` of unscaled bytes that fit 38 digits (generated defaults, checked when generated);
    /// zero when they do not.
    public static func decimal(unscaledBytes bytes: [UInt8], scale: Int) -> Decimal {
        (try? decimal(unscaledBytes: bytes, precision: maximumPrecision, scale: scale)) ?? Decimal()
    }

    /// A big decimal's scale must be the schema's and its digits at most the precision.
    static func check(_ value: AvroBigDecimal, precision: Int, scale: Int) throws(AvroError) {
        guard Int(value.scale) == scale else {
            throw AvroError(.datumMismatch, "decimal \(value) has scale \(value.scale), the schema's is \(scale)")
        }
        let fits = value.unscaled.withUnsafeBytes { DecimalLimit.fits($0, precision: precision) }
        guard fits else { throw AvroError(.datumMismatch, "decimal \(value) has more than \(precision) digits") }
    }

    static func checkRead(_ value: AvroBigDecimal, precision: Int, at offset: Int) throws(AvroError) {
        let fits = value.unscaled.withUnsafeBytes { DecimalLimit.fits($0, precision: precision) }
        guard fits else {
            throw AvroError(
                .malformedData, "decimal value has more than \(precision) digits (its precision)", location: .init(byteOffset: offset))
        }
    }

    /// Sign, exponent and mantissa of `value`.
    @usableFromInline
    static func parts(_ value: Decimal) throws(AvroError) -> (negative: Bool, exponent: Int, magnitude: Magnitude128) {
        guard !value.isNaN else { throw AvroError(.datumMismatch, "a NaN Decimal has no Avro encoding") }
        if DecimalLayout.isKnown, let p = DecimalLayout.read(value) { return p }
        // Exact, slow: the description is the full digit string.
        var negative = false, exponent = 0, seenPoint = false
        var magnitude = Magnitude128(hi: 0, lo: 0)
        for c in value.description.utf8 {
            switch c {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let m = magnitude.multiplied(by: 10) else { throw AvroError(.datumMismatch, "\(value) has more than 38 digits") }
                let (lo, carry) = m.lo.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
                magnitude = Magnitude128(hi: m.hi + (carry ? 1 : 0), lo: lo)
                if seenPoint { exponent -= 1 }
            default: throw AvroError(.datumMismatch, "cannot read the digits of Decimal \(value)")
            }
        }
        return (negative, exponent, magnitude)
    }

    /// The unscaled value of `value` at `scale`, checked against `precision`, as 16 big-endian
    /// two's-complement bytes.
    @usableFromInline
    static func unscaled(_ value: Decimal, precision: Int, scale: Int) throws(AvroError) -> (negative: Bool, magnitude: Magnitude128) {
        var (negative, exponent, magnitude) = try parts(value)
        if exponent > -scale {
            for _ in 0..<(exponent + scale) {
                guard let m = magnitude.multiplied(by: 10) else {
                    throw AvroError(.datumMismatch, "\(value) has more than \(precision) digits (decimal(\(precision),\(scale)))")
                }
                magnitude = m
            }
        } else {
            while exponent < -scale {
                let (q, r) = magnitude.divided(by: 10)
                guard r == 0 else {
                    throw AvroError(
                        .datumMismatch, "\(value) has more than \(scale) digits after the point (decimal(\(precision),\(scale)))")
                }
                magnitude = q
                exponent += 1
            }
        }
        guard precision <= maximumPrecision, magnitude < Magnitude128.powersOfTen[precision] else {
            throw AvroError(.datumMismatch, "\(value) has more than \(precision) digits (decimal(\(precision),\(scale)))")
        }
        return (negative && !magnitude.isZero, magnitude)
    }

    /// Big-endian two's complement of a signed magnitude, 16 bytes.
    @usableFromInline
    static func twosComplement(negative: Bool, _ m: Magnitude128) -> (hi: UInt64, lo: UInt64) {
        guard negative else { return (m.hi, m.lo) }
        let (lo, carry) = (~m.lo).addingReportingOverflow(1)
        return (~m.hi &+ (carry ? 1 : 0), lo)
    }

    /// A `Decimal` from a sign, magnitude and scale.
    @usableFromInline
    static func decimal(negative: Bool, _ m: Magnitude128, scale: Int) -> Decimal {
        var significand = Decimal(m.lo)
        if m.hi != 0 {
            significand +=
                Decimal(m.hi) * Decimal(sign: .plus, exponent: 0, significand: Decimal(UInt64(1) << 32) * Decimal(UInt64(1) << 32))
        }
        return Decimal(sign: negative && !m.isZero ? .minus : .plus, exponent: -scale, significand: significand)
    }

    /// Reads big-endian two's-complement bytes (any length) as a signed 128-bit magnitude; nil when the
    /// value does not fit 127 bits.
    @usableFromInline
    static func magnitude(of bytes: UnsafeRawBufferPointer) -> (negative: Bool, magnitude: Magnitude128)? {
        guard let first = bytes.first else { return (false, Magnitude128(hi: 0, lo: 0)) }
        let negative = first & 0x80 != 0
        let fill: UInt8 = negative ? 0xFF : 0
        if bytes.count > 16 {
            for i in 0..<(bytes.count - 16) where bytes[i] != fill { return nil }
        }
        var hi: UInt64 = negative ? .max : 0, lo: UInt64 = negative ? .max : 0
        for b in bytes.suffix(16) {
            hi = hi << 8 | lo >> 56
            lo = lo << 8 | UInt64(b)
        }
        if negative {
            if hi >> 63 == 0 { return nil }
            let (l, carry) = (~lo).addingReportingOverflow(1)
            return (true, Magnitude128(hi: ~hi &+ (carry ? 1 : 0), lo: l))
        }
        if hi >> 63 != 0 { return nil }
        return (false, Magnitude128(hi: hi, lo: lo))
    }
}

extension AvroWriting {
    /// A `decimal` on `bytes`: the big-endian two's complement of the unscaled value, in as many bytes as
    /// its magnitude's bits plus a sign bit need. That is the length Apache Avro's Python implementation
    /// and fastavro write; Java writes one byte fewer for the values -2^(8k-1) (-128 as `80`, not `ff 80`).
    /// Every implementation reads both.
    @inlinable
    public mutating func writeDecimal(_ value: Decimal, precision: Int, scale: Int) throws(AvroError) {
        let (negative, m) = try AvroDecimal.unscaled(value, precision: precision, scale: scale)
        let (hi, lo) = AvroDecimal.twosComplement(negative: negative, m)
        let bits = m.hi != 0 ? 128 - m.hi.leadingZeroBitCount : 64 - m.lo.leadingZeroBitCount
        let n = (bits + 1 + 7) / 8
        writeLong(Int64(n))
        withUnsafeBytes(of: (hi.bigEndian, lo.bigEndian)) { writeRaw(UnsafeRawBufferPointer(rebasing: $0[(16 - n)...])) }
    }

    /// A `decimal` on a `fixed` of `size` bytes: the unscaled value sign-extended to the size.
    @inlinable
    public mutating func writeDecimal(_ value: Decimal, precision: Int, scale: Int, fixedSize size: Int) throws(AvroError) {
        let (negative, m) = try AvroDecimal.unscaled(value, precision: precision, scale: scale)
        let (hi, lo) = AvroDecimal.twosComplement(negative: negative, m)
        let fill: UInt8 = negative ? 0xFF : 0
        try withUnsafeBytes(of: (hi.bigEndian, lo.bigEndian)) { (be) throws(AvroError) in
            if size >= 16 {
                for _ in 0..<(size - 16) { writeByte(fill) }
                writeRaw(be)
            } else {
                guard be[..<(16 - size)].allSatisfy({ $0 == fill }), (be[16 - size] & 0x80 != 0) == negative else {
                    throw AvroError(.datumMismatch, "\(value) does not fit a fixed of \(size) byte(s)")
                }
                writeRaw(UnsafeRawBufferPointer(rebasing: be[(16 - size)...]))
            }
        }
    }

    /// A `decimal` of precision above 38 on `bytes`; its scale must be the schema's, its digits at most
    /// the precision.
    public mutating func writeBigDecimal(_ value: AvroBigDecimal, precision: Int, scale: Int) throws(AvroError) {
        try AvroDecimal.check(value, precision: precision, scale: scale)
        writeBytes(value.unscaled)
    }

    /// A `decimal` of precision above 38 on a `fixed` of `size`.
    public mutating func writeBigDecimal(_ value: AvroBigDecimal, precision: Int, scale: Int, fixedSize size: Int) throws(AvroError) {
        try AvroDecimal.check(value, precision: precision, scale: scale)
        let u = value.unscaled
        let fill: UInt8 = (u.first ?? 0) & 0x80 != 0 ? 0xFF : 0
        var trimmed = u[...]
        while trimmed.count > size, trimmed.first == fill { trimmed = trimmed.dropFirst() }
        guard trimmed.count <= size else { throw AvroError(.datumMismatch, "decimal \(value) does not fit a fixed of \(size) byte(s)") }
        for _ in 0..<(size - trimmed.count) { writeByte(fill) }
        writeFixed(trimmed)
    }

    /// A `big-decimal`: bytes holding the unscaled value (Avro bytes) followed by the scale (Avro int).
    public mutating func writeBigDecimal(_ value: AvroBigDecimal) {
        var inner = AvroBinaryWriter(capacity: value.unscaled.count + 8)
        inner.writeBytes(value.unscaled)
        inner.writeInt(value.scale)
        writeBytes(inner.bytes)
    }
}

extension AvroBinaryReader {
    /// A `decimal` on `bytes` as a `Decimal`; more digits than `precision` is an error.
    @inlinable
    public mutating func readDecimal(precision: Int, scale: Int) throws(AvroError) -> Decimal {
        let start = position
        let n = try readLength("decimal")
        let value = try decimalValue(
            UnsafeRawBufferPointer(rebasing: base[position..<(position + n)]), precision: precision, scale: scale, at: start)
        position += n
        return value
    }

    /// A `decimal` on a `fixed` of `size`.
    @inlinable
    public mutating func readDecimal(precision: Int, scale: Int, fixedSize size: Int) throws(AvroError) -> Decimal {
        guard remaining >= size else { throw truncated("decimal fixed(\(size))") }
        let value = try decimalValue(
            UnsafeRawBufferPointer(rebasing: base[position..<(position + size)]), precision: precision, scale: scale, at: position)
        position += size
        return value
    }

    @usableFromInline
    func decimalValue(_ bytes: UnsafeRawBufferPointer, precision: Int, scale: Int, at offset: Int) throws(AvroError) -> Decimal {
        guard let value = AvroDecimal.decimal(bytes, precision: precision, scale: scale) else {
            throw .data(.malformedData, "decimal value has more than \(precision) digits (decimal(\(precision),\(scale)))", offset: offset)
        }
        return value
    }

    /// A `decimal` of precision above 38 on `bytes`; more digits than `precision` is an error.
    public mutating func readBigDecimal(precision: Int, scale: Int) throws(AvroError) -> AvroBigDecimal {
        let start = position
        let value = AvroBigDecimal(unscaled: try readBytes(), scale: Int32(clamping: scale))
        try AvroDecimal.checkRead(value, precision: precision, at: start)
        return value
    }

    /// A `decimal` of precision above 38 on a `fixed` of `size` (kept at that length).
    public mutating func readBigDecimal(precision: Int, scale: Int, fixedSize size: Int) throws(AvroError) -> AvroBigDecimal {
        let start = position
        let value = AvroBigDecimal(unscaled: try readFixed(size: size), scale: Int32(clamping: scale))
        try AvroDecimal.checkRead(value, precision: precision, at: start)
        return value
    }

    /// A `big-decimal`: bytes holding the unscaled value and the scale.
    public mutating func readBigDecimal() throws(AvroError) -> AvroBigDecimal {
        let start = position
        let inner = try readBytes()
        return try AvroBinaryReader.withReader(inner) { (r) throws(AvroError) -> AvroBigDecimal in
            do throws(AvroError) {
                let unscaled = try r.readBytes()
                guard !unscaled.isEmpty else { throw AvroError(.malformedData, "the unscaled value has no bytes") }
                let scale = try r.readInt()
                try r.expectEnd()
                return AvroBigDecimal(unscaled: unscaled, scale: scale)
            } catch {
                throw .data(.malformedData, "big-decimal: \(error.message)", offset: start)
            }
        }
    }
}
