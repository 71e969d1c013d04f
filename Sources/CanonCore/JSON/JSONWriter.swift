/// Writes compact JSON text (no whitespace) into a reusable UTF-8 buffer.
///
/// Strings are written as UTF-8 with only `"`, `\` and control characters escaped (as Jackson does);
/// doubles in the shortest form that reads back to the same value; `NaN` and `±Infinity` as bare tokens.
public struct JSONWriter: Sendable {
    /// How doubles are written.
    public enum DoubleStyle: Sendable {
        /// Swift's shortest round-trip form (`1e+20`, `1e-07`, `0.1`).
        case shortest
        /// Java's `Double.toString` (what Jackson and so Avro Java write): the same shortest digits,
        /// plain between 10^-3 and 10^7 (`0.001`, `1234567.0`), else `1.0E20`, `1.0E-7`.
        case java
    }

    /// The UTF-8 bytes written so far.
    public private(set) var bytes: [UInt8] = []
    public var doubleStyle: DoubleStyle

    public init(doubleStyle: DoubleStyle = .shortest) {
        self.doubleStyle = doubleStyle
    }

    /// The text written so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: writeRaw("null")
        case .bool(let b): writeRaw(b ? "true" : "false")
        case .int(let v): writeInteger(v)
        case .uint(let v): writeRaw(String(v))
        case .double(let d): writeDouble(d)
        case .string(let s): writeString(s)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(member.key)
                bytes.append(UInt8(ascii: ":"))
                write(member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Writes `value` indented by two spaces a level, one member or item a line (arrays of scalars and
    /// empty containers stay on one line), for files people read and review.
    public mutating func writeIndented(_ value: JSONValue, level: Int = 0) {
        func newline(_ level: Int) {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        switch value {
        case .array(let items)
        where items.contains(where: {
            if case .array = $0 { return true }; if case .object = $0 { return true }; return false
        }):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writeIndented(item, level: level + 1)
            }
            newline(level)
            bytes.append(UInt8(ascii: "]"))
        case .array(let items) where !items.isEmpty:
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(contentsOf: ", ".utf8) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object) where !object.members.isEmpty:
            bytes.append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writeString(member.key)
                bytes.append(contentsOf: ": ".utf8)
                writeIndented(member.value, level: level + 1)
            }
            newline(level)
            bytes.append(UInt8(ascii: "}"))
        default:
            write(value)
        }
    }

    /// Appends text as it is, without escaping.
    public mutating func writeRaw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func writeInteger(_ v: Int64) {
        if v >= 0 && v < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(v))
        } else {
            writeRaw(String(v))
        }
    }

    public mutating func writeDouble(_ d: Double) {
        if d.isNaN {
            writeRaw("NaN")
        } else if d.isInfinite {
            writeRaw(d < 0 ? "-Infinity" : "Infinity")
        } else if doubleStyle == .java {
            writeRaw(Self.javaDoubleText(d))
        } else {
            // Swift's description is the shortest text that reads back to the same double.
            writeRaw(d.description)
        }
    }

    public mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let c = utf8[i]
                guard c == 0x22 || c == 0x5C || c < 0x20 else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                runStart = i + 1
                switch c {
                case 0x22: writeRaw("\\\"")
                case 0x5C: writeRaw("\\\\")
                case 0x0A: writeRaw("\\n")
                case 0x0D: writeRaw("\\r")
                case 0x09: writeRaw("\\t")
                case 0x08: writeRaw("\\b")
                case 0x0C: writeRaw("\\f")
                default: writeRaw("\\u00" + hex2(c).uppercased())
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A finite double as Java's `Double.toString` writes it, from Swift's shortest digits.
    static func javaDoubleText(_ d: Double) -> String {
        let sign = d.sign == .minus ? "-" : ""
        if d == 0 { return sign + "0.0" }
        let text = d.magnitude.description  // "0.001", "1e-05", "12345.678", "1.2345e+20"
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1)
        var digits = Array(mantissa[0].utf8) + (mantissa.count == 2 ? Array(mantissa[1].utf8) : [])
        // value = 0.<digits> x 10^point
        var point = mantissa[0].utf8.count + exponent
        while digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let all = String(decoding: digits, as: UTF8.self)
        let scientific = point - 1
        if scientific >= -3 && scientific < 7 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + all }
            if point >= digits.count { return sign + all + String(repeating: "0", count: point - digits.count) + ".0" }
            return sign + String(all.prefix(point)) + "." + String(all.dropFirst(point))
        }
        let rest = all.dropFirst()
        return sign + String(all.prefix(1)) + "." + (rest.isEmpty ? "0" : String(rest)) + "E" + String(scientific)
    }
}
