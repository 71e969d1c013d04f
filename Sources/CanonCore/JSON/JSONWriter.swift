/// Writes compact JSON text (no whitespace) into a reusable UTF-8 buffer.
///
/// Strings are written as UTF-8 with only `"`, `\` and control characters escaped (as Jackson does);
/// doubles in the shortest form that reads back to the same value; `NaN` and `±Infinity` as bare tokens.
public struct JSONWriter: Sendable {
    /// The UTF-8 bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

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
                default: writeRaw("\\u00" + hex2(c))
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
