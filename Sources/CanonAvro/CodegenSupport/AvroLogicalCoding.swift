import Foundation

// Reading and writing logical types in their exact Swift forms: what generated code calls.

extension AvroWriting {
    /// A `uuid` string: the 36-character RFC 4122 form, lower-case.
    @inlinable
    public mutating func writeUUID(_ uuid: UUID) {
        // Format on the stack (length prefix and 36 characters), then append once.
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &text) { out in
            out[0] = 72  // zig-zag of 36
            out[9] = UInt8(ascii: "-")
            out[14] = UInt8(ascii: "-")
            out[19] = UInt8(ascii: "-")
            out[24] = UInt8(ascii: "-")
            withUnsafeBytes(of: uuid.uuid) { raw in
                for i in 0..<16 {
                    // Byte i starts at 1 + 2i plus the dashes before it. A nibble n is '0' + n, plus 39
                    // more when n > 9 ('a' - '0' - 10): no branches.
                    let at = 1 &+ 2 &* i &+ (i >= 4 ? 1 : 0) &+ (i >= 6 ? 1 : 0) &+ (i >= 8 ? 1 : 0) &+ (i >= 10 ? 1 : 0)
                    let hi = raw[i] >> 4, lo = raw[i] & 0xF
                    out[at] = hi &+ 48 &+ ((0 &- ((9 &- hi) >> 7)) & 39)
                    out[at &+ 1] = lo &+ 48 &+ ((0 &- ((9 &- lo) >> 7)) & 39)
                }
            }
            writeRaw(UnsafeRawBufferPointer(rebasing: out[0..<37]))
        }
    }

    /// A `uuid` on a `fixed` of 16: the raw bytes.
    @inlinable
    public mutating func writeUUIDFixed(_ uuid: UUID) {
        withUnsafeBytes(of: uuid.uuid) { writeRaw($0) }
    }

    /// A `timestamp-millis` from a `Date`, to the nearest millisecond. A date further than
    /// ``AvroTimestampMillis/maximumOffset`` milliseconds from 2001-01-01 is an error: beyond that a
    /// `Date` cannot hold every millisecond exactly.
    @inlinable
    public mutating func writeTimestampMillis(_ date: Date) throws(AvroError) {
        writeLong(try AvroTimestampMillis.milliseconds(date))
    }

    /// A `duration`: three little-endian `UInt32`s.
    @inlinable
    public mutating func writeDuration(_ d: AvroDuration) {
        withUnsafeBytes(of: d.months.littleEndian) { writeRaw($0) }
        withUnsafeBytes(of: d.days.littleEndian) { writeRaw($0) }
        withUnsafeBytes(of: d.milliseconds.littleEndian) { writeRaw($0) }
    }
}

/// `timestamp-millis` as `Foundation.Date`.
public enum AvroTimestampMillis {
    /// Milliseconds since 1970 of 2001-01-01, `Date`'s reference date.
    @usableFromInline static let referenceMillis: Int64 = 978_307_200_000
    /// How far from 2001-01-01 (in milliseconds, either way, about ±35,700 years) a `Date` holds every
    /// millisecond exactly: a `timestamp-millis` within it decodes to a `Date` that encodes back to the
    /// same value; one outside it is a decode error.
    public static let maximumOffset: Int64 = 1 << 50

    /// The `Date` of a `timestamp-millis` value; throws outside ``maximumOffset``.
    @inlinable
    public static func date(_ millis: Int64, offset: Int = 0) throws(AvroError) -> Date {
        let (delta, overflow) = millis.subtractingReportingOverflow(referenceMillis)
        guard !overflow, delta.magnitude <= UInt64(maximumOffset) else {
            throw AvroError(
                .datumMismatch, "timestamp-millis \(millis) is outside the range Foundation.Date holds exactly (±2^50 ms of 2001-01-01)",
                location: .init(byteOffset: offset))
        }
        return Date(timeIntervalSinceReferenceDate: Double(delta) / 1000)
    }

    /// The `timestamp-millis` value of a `Date`, to the nearest millisecond; throws outside ``maximumOffset``.
    @inlinable
    public static func milliseconds(_ date: Date) throws(AvroError) -> Int64 {
        let ms = (date.timeIntervalSinceReferenceDate * 1000).rounded()
        guard ms.magnitude <= Double(maximumOffset) else {
            throw AvroError(
                .datumMismatch, "\(date) is outside the range timestamp-millis keeps exact as a Foundation.Date (±2^50 ms of 2001-01-01)")
        }
        return Int64(ms) + referenceMillis
    }
}

extension AvroBinaryReader {
    /// A `uuid` string in RFC 4122 form, either case.
    @inlinable
    public mutating func readUUID() throws(AvroError) -> UUID {
        let start = position
        let n = try readLength("uuid")
        guard n == 36 else { throw .data(.malformedData, "a uuid is 36 characters, found \(n)", offset: start) }
        let text = base.baseAddress! + position
        @inline(__always) func nibble(_ c: UInt8) -> UInt8 {
            let digit = c &- 48
            if digit < 10 { return digit }
            let letter = (c | 0x20) &- 97
            return letter < 6 ? letter + 10 : 0xFF
        }
        var out: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        // Dashes at 8, 13, 18 and 23; hex pairs elsewhere (byte i starts at 2i plus the dashes before it).
        var bad: UInt8 = 0
        let dash = UInt8(ascii: "-")
        if text.load(fromByteOffset: 8, as: UInt8.self) != dash || text.load(fromByteOffset: 13, as: UInt8.self) != dash
            || text.load(fromByteOffset: 18, as: UInt8.self) != dash || text.load(fromByteOffset: 23, as: UInt8.self) != dash
        {
            bad = 0xFF
        }
        withUnsafeMutableBytes(of: &out) { dst in
            for i in 0..<16 {
                let at = 2 &* i &+ (i >= 4 ? 1 : 0) &+ (i >= 6 ? 1 : 0) &+ (i >= 8 ? 1 : 0) &+ (i >= 10 ? 1 : 0)
                let hi = nibble(text.load(fromByteOffset: at, as: UInt8.self))
                let lo = nibble(text.load(fromByteOffset: at &+ 1, as: UInt8.self))
                bad |= (hi | lo) & 0xF0
                dst[i] = hi << 4 | (lo & 0xF)
            }
        }
        guard bad == 0 else { throw .data(.malformedData, "not a uuid in RFC 4122 form (8-4-4-4-12 hex digits)", offset: position) }
        position += 36
        return UUID(uuid: out)
    }

    /// A `uuid` on a `fixed` of 16.
    @inlinable
    public mutating func readUUIDFixed() throws(AvroError) -> UUID {
        guard remaining >= 16 else { throw truncated("uuid fixed(16)") }
        var out: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: base[position..<(position + 16)])) }
        position += 16
        return UUID(uuid: out)
    }

    /// A `timestamp-millis` as a `Date`; a value further than ``AvroTimestampMillis/maximumOffset`` from
    /// 2001-01-01 is an error.
    @inlinable
    public mutating func readTimestampMillis() throws(AvroError) -> Date {
        let start = position
        return try AvroTimestampMillis.date(try readLong(), offset: start)
    }

    /// A `duration` (fixed of 12).
    @inlinable
    public mutating func readDuration() throws(AvroError) -> AvroDuration {
        guard remaining >= 12 else { throw truncated("duration fixed(12)") }
        func word(_ i: Int) -> UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: position + i, as: UInt32.self)) }
        let d = AvroDuration(months: word(0), days: word(4), milliseconds: word(8))
        position += 12
        return d
    }
}
