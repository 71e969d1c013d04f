import CanonCore

/// Exact arithmetic on JSON numbers as ``JSONValue`` holds them: integers of every `Int64`/`UInt64`
/// value, and doubles read from decimal text (whose shortest rendering gives the decimal back, so
/// `0.0075` is 75 × 10^-4, not the binary fraction nearest it).
enum JSONNumber {
    /// A number as sign, decimal digits and a power of ten: `value = ±mantissa × 10^exponent`.
    struct Decimal {
        var negative: Bool
        var mantissa: UInt64
        var exponent: Int
    }

    /// The decimal a number was written as; nil for NaN and infinities.
    static func decimal(_ value: JSONValue) -> Decimal? {
        switch value {
        case .int(let v): return normalized(Decimal(negative: v < 0, mantissa: v.magnitude, exponent: 0))
        case .uint(let v): return normalized(Decimal(negative: false, mantissa: v, exponent: 0))
        case .double(let d): return decimal(d)
        default: return nil
        }
    }

    /// Trailing zeros of the mantissa moved into the exponent (one form per value).
    private static func normalized(_ d: Decimal) -> Decimal {
        var d = d
        while d.mantissa != 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10
            d.exponent += 1
        }
        return d
    }

    static func decimal(_ d: Double) -> Decimal? {
        guard d.isFinite else { return nil }
        if d == 0 { return Decimal(negative: false, mantissa: 0, exponent: 0) }
        // Fast path: the fewest fractional digits k whose decimal reads back as `d`, while the
        // mantissa has at most 15 digits (then that decimal is the only one of its length that does).
        let magnitude = d.magnitude
        var scale = 1.0
        for k in 0...15 {
            let m = (magnitude * scale).rounded()
            if m >= 1e15 { break }
            if m / scale == magnitude {
                return normalized(Decimal(negative: d < 0, mantissa: UInt64(m), exponent: -k))
            }
            scale *= 10
        }
        // The shortest text that reads back as `d` (at most 17 significant digits).
        var text = Substring("\(d.magnitude)")
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        var mantissa: UInt64 = 0
        var seenPoint = false
        for c in text {
            if c == "." {
                seenPoint = true
                continue
            }
            guard let digit = c.wholeNumberValue else { return nil }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            if seenPoint { exponent -= 1 }
        }
        return normalized(Decimal(negative: d < 0, mantissa: mantissa, exponent: exponent))
    }

    /// Whether the number has no fractional part (`1.0` is an integer).
    static func isInteger(_ value: JSONValue) -> Bool {
        switch value {
        case .int, .uint: return true
        case .double(let d): return d.isFinite && d == d.rounded(.towardZero)
        default: return false
        }
    }

    /// Whether `value` is an integer multiple of `divisor` (> 0), exactly.
    static func isMultiple(_ value: JSONValue, of divisor: Decimal) -> Bool {
        guard let v = decimal(value) else { return false }
        if v.mantissa == 0 { return true }
        guard divisor.mantissa != 0 else { return false }
        let b = divisor.mantissa
        if divisor.exponent > v.exponent {
            // b × 10^k must divide v's mantissa (k > 0); past 2^64 it is larger than the mantissa.
            var big = b
            for _ in 0..<(divisor.exponent - v.exponent) {
                let (product, overflow) = big.multipliedReportingOverflow(by: 10)
                if overflow { return false }
                big = product
            }
            return v.mantissa % big == 0
        }
        // v's mantissa × 10^k mod b, k ≥ 0, one digit at a time in full width.
        var remainder = v.mantissa % b
        for _ in 0..<(v.exponent - divisor.exponent) where remainder != 0 {
            let wide = remainder.multipliedFullWidth(by: 10)
            remainder = b.dividingFullWidth(wide).remainder
        }
        return remainder == 0
    }

    /// -1, 0 or 1 as `a` is below, equal to or above `b` (both numbers), exactly.
    static func compare(_ a: JSONValue, _ b: JSONValue) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.uint(let x), .uint(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.int, .uint): return -1
        case (.uint, .int): return 1
        case (.double(let x), .double(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.double(let x), _): return compare(x, b)
        case (_, .double(let y)): return -compare(y, a)
        default: return 0
        }
    }

    /// A double against an integer (`.int` or `.uint`), exactly.
    private static func compare(_ d: Double, _ integer: JSONValue) -> Int {
        if d.isNaN { return 1 }
        let whole = d.rounded(.down)
        let fraction = d - whole
        switch integer {
        case .int(let i):
            if whole < -9_223_372_036_854_775_808.0 { return -1 }
            if whole >= 9_223_372_036_854_775_808.0 { return 1 }
            let w = Int64(whole)
            if w != i { return w < i ? -1 : 1 }
            return fraction > 0 ? 1 : 0
        case .uint(let u):
            if whole < 0 { return -1 }
            if whole >= 18_446_744_073_709_551_616.0 { return 1 }
            let w = UInt64(whole)
            if w != u { return w < u ? -1 : 1 }
            return fraction > 0 ? 1 : 0
        default: return 0
        }
    }

    static func isNumber(_ value: JSONValue) -> Bool {
        switch value {
        case .int, .uint, .double: return true
        default: return false
        }
    }
}

/// JSON Schema's equality: numbers by value (`1` equals `1.0`), strings by code points, objects
/// regardless of member order, arrays in order.
func schemaEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { schemaEqual($0, $1) }
    case (.object(let x), .object(let y)):
        let xs = lastValues(x), ys = lastValues(y)
        guard xs.count == ys.count else { return false }
        for (key, value) in xs {
            guard let other = ys[key], schemaEqual(value, other) else { return false }
        }
        return true
    default:
        guard JSONNumber.isNumber(a), JSONNumber.isNumber(b) else { return false }
        return JSONNumber.compare(a, b) == 0
    }
}

/// An object's members by name, the last value of a repeated name winning (as lookups read it).
func lastValues(_ object: JSONObject) -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    out.reserveCapacity(object.count)
    for member in object { out[member.key] = member.value }
    return out
}

/// A hash consistent with ``schemaEqual(_:_:)`` (numbers hash by their decimal value).
func schemaHash(_ value: JSONValue, into hasher: inout Hasher) {
    switch value {
    case .null: hasher.combine(0)
    case .bool(let b): hasher.combine(b)
    case .string(let s): hasher.combine(s.utf8.count); for byte in s.utf8 { hasher.combine(byte) }
    case .array(let items): hasher.combine(items.count); for item in items { schemaHash(item, into: &hasher) }
    case .object(let object):
        // Members in any order: the sum of each member's own hash.
        var sum = 0
        for (key, value) in lastValues(object) {
            var member = Hasher()
            member.combine(key)
            schemaHash(value, into: &member)
            sum = sum &+ member.finalize()
        }
        hasher.combine(sum)
    default:
        if let d = JSONNumber.decimal(value) {
            hasher.combine(d.mantissa == 0 ? false : d.negative)
            hasher.combine(d.mantissa)
            hasher.combine(d.mantissa == 0 ? 0 : d.exponent)
        } else {
            hasher.combine(value.doubleValue?.isNaN ?? false)
        }
    }
}

/// A JSON value hashed and compared as JSON Schema compares values (for `uniqueItems`).
struct SchemaEquatable: Hashable {
    var value: JSONValue
    static func == (a: SchemaEquatable, b: SchemaEquatable) -> Bool { schemaEqual(a.value, b.value) }
    func hash(into hasher: inout Hasher) { schemaHash(value, into: &hasher) }
}
