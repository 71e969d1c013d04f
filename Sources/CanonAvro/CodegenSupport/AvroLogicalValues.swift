import Foundation

// Value types for Avro logical types that Foundation has no exact type for. Each holds the exact integer
// the encoding carries, so decode -> encode reproduces the bytes, and converts to and from `Date` or
// `Duration` for convenience (those conversions round where the Foundation type cannot hold the value).

/// Seconds between 1970-01-01 and 2001-01-01, Foundation's reference date.
@usableFromInline let unixToReferenceSeconds: Int64 = 978_307_200

/// Converts a count of `unitsPerSecond` units since 1970-01-01 to the nearest `Date`.
@usableFromInline
func dateFromEpoch(_ value: Int64, unitsPerSecond: Int64) -> Date {
    let (seconds, remainder) = value.quotientAndRemainder(dividingBy: unitsPerSecond)
    let since2001 = Double(seconds - unixToReferenceSeconds) + Double(remainder) / Double(unitsPerSecond)
    return Date(timeIntervalSinceReferenceDate: since2001)
}

/// Converts a `Date` to the nearest count of `unitsPerSecond` units since 1970-01-01, saturating at the
/// ends of `Int64`.
@usableFromInline
func epochFromDate(_ date: Date, unitsPerSecond: Int64) -> Int64 {
    let t = date.timeIntervalSinceReferenceDate
    let whole = t.rounded(.down)
    let fraction = ((t - whole) * Double(unitsPerSecond)).rounded()
    guard whole.magnitude < 9.2e18 / Double(unitsPerSecond) else { return whole < 0 ? .min : .max }
    let seconds = Int64(whole) + unixToReferenceSeconds
    let (scaled, o1) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
    let (sum, o2) = scaled.addingReportingOverflow(Int64(fraction))
    if o1 || o2 { return seconds < 0 ? .min : .max }
    return sum
}

/// An instant as microseconds since 1970-01-01T00:00:00 UTC (`timestamp-micros`).
public struct AvroTimestampMicros: Sendable, Hashable, Comparable, Codable {
    public var microsecondsSinceEpoch: Int64
    public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }
    /// The nearest microsecond to `date`.
    public init(_ date: Date) { microsecondsSinceEpoch = epochFromDate(date, unitsPerSecond: 1_000_000) }
    /// The nearest `Date` (exact within about ±140 years of 2001).
    public var date: Date { dateFromEpoch(microsecondsSinceEpoch, unitsPerSecond: 1_000_000) }
    public static func < (a: Self, b: Self) -> Bool { a.microsecondsSinceEpoch < b.microsecondsSinceEpoch }
    public init(from decoder: any Decoder) throws { microsecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(microsecondsSinceEpoch) }
}

/// An instant as nanoseconds since 1970-01-01T00:00:00 UTC (`timestamp-nanos`).
public struct AvroTimestampNanos: Sendable, Hashable, Comparable, Codable {
    public var nanosecondsSinceEpoch: Int64
    public init(nanosecondsSinceEpoch: Int64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }
    /// The nearest nanosecond to `date` that `Date`'s `Double` resolves.
    public init(_ date: Date) { nanosecondsSinceEpoch = epochFromDate(date, unitsPerSecond: 1_000_000_000) }
    /// The nearest `Date`.
    public var date: Date { dateFromEpoch(nanosecondsSinceEpoch, unitsPerSecond: 1_000_000_000) }
    public static func < (a: Self, b: Self) -> Bool { a.nanosecondsSinceEpoch < b.nanosecondsSinceEpoch }
    public init(from decoder: any Decoder) throws { nanosecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(nanosecondsSinceEpoch) }
}

/// A wall-clock time in an unspecified zone, as milliseconds from 1970-01-01 00:00 (`local-timestamp-millis`).
/// `date` reads the wall clock as if it were UTC.
public struct AvroLocalTimestampMillis: Sendable, Hashable, Comparable, Codable {
    public var millisecondsSinceEpoch: Int64
    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }
    public init(utc date: Date) { millisecondsSinceEpoch = epochFromDate(date, unitsPerSecond: 1000) }
    public var date: Date { dateFromEpoch(millisecondsSinceEpoch, unitsPerSecond: 1000) }
    public static func < (a: Self, b: Self) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }
    public init(from decoder: any Decoder) throws { millisecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(millisecondsSinceEpoch) }
}

/// A wall-clock time in an unspecified zone, as microseconds from 1970-01-01 00:00 (`local-timestamp-micros`).
public struct AvroLocalTimestampMicros: Sendable, Hashable, Comparable, Codable {
    public var microsecondsSinceEpoch: Int64
    public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }
    public init(utc date: Date) { microsecondsSinceEpoch = epochFromDate(date, unitsPerSecond: 1_000_000) }
    public var date: Date { dateFromEpoch(microsecondsSinceEpoch, unitsPerSecond: 1_000_000) }
    public static func < (a: Self, b: Self) -> Bool { a.microsecondsSinceEpoch < b.microsecondsSinceEpoch }
    public init(from decoder: any Decoder) throws { microsecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(microsecondsSinceEpoch) }
}

/// A wall-clock time in an unspecified zone, as nanoseconds from 1970-01-01 00:00 (`local-timestamp-nanos`).
public struct AvroLocalTimestampNanos: Sendable, Hashable, Comparable, Codable {
    public var nanosecondsSinceEpoch: Int64
    public init(nanosecondsSinceEpoch: Int64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }
    public init(utc date: Date) { nanosecondsSinceEpoch = epochFromDate(date, unitsPerSecond: 1_000_000_000) }
    public var date: Date { dateFromEpoch(nanosecondsSinceEpoch, unitsPerSecond: 1_000_000_000) }
    public static func < (a: Self, b: Self) -> Bool { a.nanosecondsSinceEpoch < b.nanosecondsSinceEpoch }
    public init(from decoder: any Decoder) throws { nanosecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(nanosecondsSinceEpoch) }
}

/// A calendar date as days since 1970-01-01 (`date`).
public struct AvroDate: Sendable, Hashable, Comparable, Codable {
    public var daysSinceEpoch: Int32
    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }
    /// The UTC day `date` falls in (saturating at the ends of `Int32`).
    public init(utc date: Date) {
        let days = (epochFromDate(date, unitsPerSecond: 1) - (epochFromDate(date, unitsPerSecond: 1) < 0 ? 86_399 : 0)) / 86_400
        daysSinceEpoch = Int32(clamping: days)
    }
    /// Midnight UTC at the start of the day.
    public var date: Date { dateFromEpoch(Int64(daysSinceEpoch) * 86_400, unitsPerSecond: 1) }
    public static func < (a: Self, b: Self) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
    public init(from decoder: any Decoder) throws { daysSinceEpoch = try decoder.singleValueContainer().decode(Int32.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(daysSinceEpoch) }
}

/// A time of day as milliseconds after midnight (`time-millis`).
public struct AvroTimeMillis: Sendable, Hashable, Comparable, Codable {
    public var millisecondsSinceMidnight: Int32
    public init(millisecondsSinceMidnight: Int32) { self.millisecondsSinceMidnight = millisecondsSinceMidnight }
    /// The whole milliseconds of `duration` (saturating at the ends of `Int32`).
    public init(_ duration: Swift.Duration) {
        let (s, atto) = duration.components
        millisecondsSinceMidnight = Int32(clamping: s.multipliedReportingOverflow(by: 1000).partialValue + atto / 1_000_000_000_000_000)
    }
    public var duration: Swift.Duration { .milliseconds(millisecondsSinceMidnight) }
    public static func < (a: Self, b: Self) -> Bool { a.millisecondsSinceMidnight < b.millisecondsSinceMidnight }
    public init(from decoder: any Decoder) throws { millisecondsSinceMidnight = try decoder.singleValueContainer().decode(Int32.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(millisecondsSinceMidnight) }
}

/// A time of day as microseconds after midnight (`time-micros`).
public struct AvroTimeMicros: Sendable, Hashable, Comparable, Codable {
    public var microsecondsSinceMidnight: Int64
    public init(microsecondsSinceMidnight: Int64) { self.microsecondsSinceMidnight = microsecondsSinceMidnight }
    /// The whole microseconds of `duration`.
    public init(_ duration: Swift.Duration) {
        let (s, atto) = duration.components
        microsecondsSinceMidnight = s.multipliedReportingOverflow(by: 1_000_000).partialValue &+ atto / 1_000_000_000_000
    }
    public var duration: Swift.Duration { .microseconds(microsecondsSinceMidnight) }
    public static func < (a: Self, b: Self) -> Bool { a.microsecondsSinceMidnight < b.microsecondsSinceMidnight }
    public init(from decoder: any Decoder) throws { microsecondsSinceMidnight = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(microsecondsSinceMidnight) }
}

/// Avro's `duration`: months, days and milliseconds, each an unsigned 32-bit count (a fixed of 12 bytes,
/// little-endian). Months and days have no fixed length, so only a value with `months == 0` converts to a
/// `Duration` (a day counted as 86,400 s).
public struct AvroDuration: Sendable, Hashable, Codable {
    public var months: UInt32
    public var days: UInt32
    public var milliseconds: UInt32
    public init(months: UInt32 = 0, days: UInt32 = 0, milliseconds: UInt32 = 0) {
        self.months = months
        self.days = days
        self.milliseconds = milliseconds
    }
    /// `nil` when `months` is not zero.
    public var duration: Swift.Duration? {
        months == 0 ? .seconds(Int64(days) * 86_400) + .milliseconds(milliseconds) : nil
    }
    /// Whole days and milliseconds of a non-negative `duration`; `nil` when it is negative or more
    /// days than `UInt32` counts.
    public init?(_ duration: Swift.Duration) {
        let (s, atto) = duration.components
        guard s >= 0, atto >= 0, s / 86_400 <= Int64(UInt32.max) else { return nil }
        self.init(months: 0, days: UInt32(s / 86_400), milliseconds: UInt32((s % 86_400) * 1000 + atto / 1_000_000_000_000_000))
    }
    /// The 12 bytes of the encoding.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12)
        for v in [months, days, milliseconds] { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }
    /// Reads Avro JSON: the 12 bytes as a string of code points 0-255, as for any fixed.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(bytes: try AvroJSONCoding.latin1Bytes(text))
    }

    /// Writes Avro JSON: the 12 bytes as a string of code points 0-255.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(AvroJSONCoding.latin1String(bytes))
    }

    /// Reads the 12 bytes of the encoding.
    public init(bytes: some Collection<UInt8>) throws(AvroError) {
        let b = Array(bytes)
        guard b.count == 12 else { throw AvroError(.datumMismatch, "a duration is 12 bytes, got \(b.count)") }
        func word(_ i: Int) -> UInt32 { UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24 }
        self.init(months: word(0), days: word(4), milliseconds: word(8))
    }
}

/// A decimal number of any size: the unscaled value as big-endian two's-complement bytes and the scale.
/// Generated code uses it for `decimal` with a precision above 38 (what `Foundation.Decimal` holds) and
/// for `big-decimal`.
public struct AvroBigDecimal: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The unscaled value, big-endian two's complement, minimal length (at least one byte).
    public var unscaled: [UInt8]
    /// Digits after the decimal point.
    public var scale: Int32

    /// `unscaled` must not be empty (Avro has no value without bytes; encoding one is refused as
    /// having no digits).
    public init(unscaled: [UInt8], scale: Int32) {
        self.unscaled = unscaled
        self.scale = scale
    }

    /// The value in decimal notation, exact.
    public var description: String {
        var magnitude = unscaled
        let negative = (magnitude.first ?? 0) & 0x80 != 0
        if negative {  // two's complement negation
            var carry = true
            for i in magnitude.indices.reversed() {
                magnitude[i] = ~magnitude[i]
                if carry { (magnitude[i], carry) = magnitude[i].addingReportingOverflow(1) }
            }
        }
        var digits: [UInt8] = []
        while magnitude.contains(where: { $0 != 0 }) {
            var remainder = 0
            for i in magnitude.indices {
                let v = remainder << 8 | Int(magnitude[i])
                magnitude[i] = UInt8(v / 10)
                remainder = v % 10
            }
            digits.append(UInt8(remainder))
        }
        while digits.count <= Int(max(scale, 0)) { digits.append(0) }
        var text = negative ? "-" : ""
        for (i, d) in digits.reversed().enumerated() {
            if scale > 0 && i == digits.count - Int(scale) { text += "." }
            text += String(d)
        }
        return text
    }
}
