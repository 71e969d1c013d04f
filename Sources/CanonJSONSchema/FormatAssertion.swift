import CanonCore

/// `format` as an assertion (when asked): what is wrong with a string of a known format. Unknown
/// formats and non-strings pass, as the drafts say.
enum FormatAssertion {
    static func problem(_ format: String, _ value: JSONValue) -> String? {
        guard case .string(let text) = value else { return nil }
        let valid: Bool
        switch format {
        case "date": valid = isDate(Array(text.utf8)[...])
        case "time": valid = isTime(Array(text.utf8)[...])
        case "date-time": valid = isDateTime(text)
        case "duration": valid = isDuration(text)
        case "email": valid = isEmail(text, international: false)
        case "idn-email": valid = isEmail(text, international: true)
        case "hostname": valid = IDNA.isHostname(text, international: false)
        case "idn-hostname": valid = IDNA.isHostname(text, international: true)
        case "ipv4": valid = isIPv4(Substring(text))
        case "ipv6": valid = isIPv6(Substring(text))
        case "uri": valid = URIText(text, international: false)?.hasScheme == true
        case "uri-reference": valid = URIText(text, international: false) != nil
        case "iri": valid = URIText(text, international: true)?.hasScheme == true
        case "iri-reference": valid = URIText(text, international: true) != nil
        case "json-pointer": valid = isJSONPointer(Substring(text))
        case "relative-json-pointer": valid = isRelativeJSONPointer(text)
        case "regex": valid = isRegex(text)
        case "uri-template": valid = isURITemplate(text)
        case "uuid": valid = isUUID(text)
        default: valid = true
        }
        return valid ? nil : "\(Evaluation.describe(value)) is not a valid \(format)"
    }

    // MARK: - Dates and times (RFC 3339)

    private static func digits(_ bytes: ArraySlice<UInt8>, _ count: Int) -> Int? {
        guard bytes.count == count, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    static func isDate(_ b: ArraySlice<UInt8>) -> Bool {
        guard b.count == 10, b[b.startIndex + 4] == UInt8(ascii: "-"), b[b.startIndex + 7] == UInt8(ascii: "-"),
            let year = digits(b.prefix(4), 4), let month = digits(b.dropFirst(5).prefix(2), 2), let day = digits(b.suffix(2), 2)
        else { return false }
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    static func isTime(_ b: ArraySlice<UInt8>) -> Bool {
        guard b.count >= 9, b[b.startIndex + 2] == UInt8(ascii: ":"), b[b.startIndex + 5] == UInt8(ascii: ":"),
            let hour = digits(b.prefix(2), 2), let minute = digits(b.dropFirst(3).prefix(2), 2),
            let second = digits(b.dropFirst(6).prefix(2), 2)
        else { return false }
        var rest = b.dropFirst(8)
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let fraction = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }
            guard !fraction.isEmpty else { return false }
            rest = rest.dropFirst(fraction.count)
        }
        var offset = 0
        switch rest.first {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard rest.count == 1 else { return false }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard rest.count == 6, rest[rest.startIndex + 3] == UInt8(ascii: ":"),
                let h = digits(rest.dropFirst().prefix(2), 2), let m = digits(rest.suffix(2), 2), h <= 23, m <= 59
            else { return false }
            offset = (h * 60 + m) * (rest.first == UInt8(ascii: "+") ? 1 : -1)
        default: return false
        }
        guard hour <= 23, minute <= 59, second <= 60 else { return false }
        if second == 60 {
            // A leap second is 23:59:60 in UTC.
            let utc = ((hour * 60 + minute - offset) % 1440 + 1440) % 1440
            return utc == 23 * 60 + 59
        }
        return true
    }

    static func isDateTime(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count > 11, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") else { return false }
        return isDate(b[0..<10]) && isTime(b[11...])
    }

    static func isDuration(_ text: String) -> Bool {
        var b = Array(text.utf8)[...]
        guard b.popFirst() == UInt8(ascii: "P"), !b.isEmpty else { return false }
        /// Reads number+unit pairs whose units come in `order` (each at most once, in that order).
        func units(_ order: [UInt8]) -> Bool? {
            var last = -1
            var any = false
            while let first = b.first, first >= 0x30 && first <= 0x39 {
                let number = b.prefix { $0 >= 0x30 && $0 <= 0x39 }
                b = b.dropFirst(number.count)
                // Units follow one another with none skipped (`P1Y2D` and `PT1H2S` are not durations).
                guard let unit = b.popFirst(), let position = order.firstIndex(of: unit), last < 0 || position == last + 1 else {
                    return nil
                }
                last = position
                any = true
            }
            return any
        }
        if let week = b.last, week == UInt8(ascii: "W") {
            return b.dropLast().count > 0 && b.dropLast().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        guard let date = units(Array("YMD".utf8)) else { return false }
        if b.isEmpty { return date }
        guard b.popFirst() == UInt8(ascii: "T"), let time = units(Array("HMS".utf8)), time else { return false }
        return b.isEmpty
    }

    // MARK: - Internet names and addresses

    static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            guard part.count == 1 || part.first != "0" else { return false }
            return Int(part)! <= 255
        }
    }

    static func isIPv6(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 < 0x80 }) else { return false }
        var text = text
        var groupsAllowed = 8
        // An IPv4 address may end it, in place of two groups.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(text[text.index(after: lastColon)...]) else { return false }
            text = text[...lastColon]
            if !text.hasSuffix("::") { text = text.dropLast() }
            groupsAllowed = 6
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ s: String) -> Int? {
            if s.isEmpty { return 0 }
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for part in parts {
                guard (1...4).contains(part.count), part.allSatisfy({ $0.isHexDigit }) else { return nil }
            }
            return parts.count
        }
        if halves.count == 2 {
            guard let a = groups(halves[0]), let b = groups(halves[1]) else { return false }
            return a + b < groupsAllowed
        }
        guard let count = groups(halves[0]) else { return false }
        return count == groupsAllowed
    }

    static func isEmail(_ text: String, international: Bool) -> Bool {
        guard let at = text.lastIndex(of: "@") else { return false }
        let local = text[..<at], domain = text[text.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty else { return false }
        if local.hasPrefix("\"") {
            guard local.count >= 2, local.hasSuffix("\"") else { return false }
        } else {
            guard local.first != ".", local.last != ".", !local.contains("..") else { return false }
            let specials = Set("!#$%&'*+-/=?^_`{|}~.")
            guard
                local.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber || specials.contains($0))) || (international && !$0.isASCII) }
                )
            else { return false }
        }
        if domain.hasPrefix("[") {
            guard domain.hasSuffix("]") else { return false }
            let literal = domain.dropFirst().dropLast()
            if literal.hasPrefix("IPv6:") { return isIPv6(literal.dropFirst(5)) }
            return isIPv4(literal)
        }
        return IDNA.isHostname(String(domain), international: international)
    }

    // MARK: - Pointers, templates, UUIDs, regular expressions

    static func isJSONPointer(_ text: Substring) -> Bool {
        if text.isEmpty { return true }
        guard text.first == "/" else { return false }
        var previousTilde = false
        for c in text.unicodeScalars {
            if previousTilde && c != "0" && c != "1" { return false }
            previousTilde = c == "~"
        }
        return !previousTilde
    }

    static func isRelativeJSONPointer(_ text: String) -> Bool {
        let prefix = text.prefix { $0.isASCII && $0.isNumber }
        guard !prefix.isEmpty, prefix == "0" || prefix.first != "0" else { return false }
        var rest = text.dropFirst(prefix.count)
        if rest.first == "+" || rest.first == "-" {
            let sign = rest.removeFirst()
            let index = rest.prefix { $0.isASCII && $0.isNumber }
            guard !index.isEmpty, index == "0" ? sign == "+" : index.first != "0" else { return false }
            rest = rest.dropFirst(index.count)
        }
        return rest == "#" || isJSONPointer(rest)
    }

    /// RFC 6570 level 4: literals, and expressions of an optional operator and variable specs.
    static func isURITemplate(_ text: String) -> Bool {
        var scalars = Array(text.unicodeScalars)[...]
        func hex(_ s: Unicode.Scalar?) -> Bool { s.map { $0.isASCII && Character($0).isHexDigit } ?? false }
        while let c = scalars.popFirst() {
            if c == "{" {
                guard let close = scalars.firstIndex(of: "}") else { return false }
                var expression = scalars[..<close]
                scalars = scalars[(close + 1)...]
                if let first = expression.first, "+#./;?&".unicodeScalars.contains(first) { expression = expression.dropFirst() }
                for varspec in expression.split(separator: ",", omittingEmptySubsequences: false) {
                    var name = varspec[...]
                    if name.last == "*" {
                        name = name.dropLast()
                    } else if let colon = name.firstIndex(of: ":") {
                        let length = name[(colon + 1)...]
                        guard (1...4).contains(length.count), length.first != "0",
                            length.allSatisfy({ $0.isASCII && Character($0).isNumber })
                        else { return false }
                        name = name[..<colon]
                    }
                    guard !name.isEmpty, name.first != ".", name.last != ".", !String(String.UnicodeScalarView(name)).contains("..") else {
                        return false
                    }
                    var chars = name
                    while let v = chars.popFirst() {
                        if v == "%" {
                            guard hex(chars.popFirst()), hex(chars.popFirst()) else { return false }
                        } else if !(v.isASCII && (Character(v).isLetter || Character(v).isNumber || v == "_" || v == ".")) {
                            return false
                        }
                    }
                }
            } else if c == "%" {
                guard hex(scalars.popFirst()), hex(scalars.popFirst()) else { return false }
            } else if c.value <= 0x20 || c.value == 0x7F || "\"<>\\^`|}".unicodeScalars.contains(c) {
                return false
            }
        }
        return true
    }

    static func isUUID(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 36 else { return false }
        for (i, byte) in b.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if !Character(Unicode.Scalar(byte)).isHexDigit {
                return false
            }
        }
        return true
    }

    static func isRegex(_ text: String) -> Bool {
        // What ICU accepts and ECMA-262 does not: the `\a` escape, `(?#…)` comments and inline flag groups.
        let chars = Array(text)
        var escaped = false
        var inClass = false
        for (i, c) in chars.enumerated() {
            if escaped {
                if c == "a" { return false }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if inClass {
                if c == "]" { inClass = false }
            } else if c == "[" {
                inClass = true
            } else if c == "(", i + 1 < chars.count, chars[i + 1] == "?" {
                guard i + 2 < chars.count else { return false }
                switch chars[i + 2] {
                case ":", "=", "!": continue
                case "<": guard i + 3 < chars.count else { return false }
                default: return false
                }
            }
        }
        return Pattern(text) != nil
    }
}

/// RFC 3986 URI references (and RFC 3987 IRI references with `international`), checked by grammar.
struct URIText {
    var hasScheme: Bool

    init?(_ text: String, international: Bool) {
        func allowed(_ c: Unicode.Scalar, extra: String) -> Bool {
            if c.isASCII {
                let v = c.value
                if (0x30...0x39).contains(v) || (0x41...0x5a).contains(v) || (0x61...0x7a).contains(v) { return true }
                return "-._~!$&'()*+,;=".unicodeScalars.contains(c) || extra.unicodeScalars.contains(c)
            }
            return international && c.properties.generalCategory != .control && !c.properties.isWhitespace
        }
        /// Characters of a component, percent-encodings valid.
        func component(_ s: Substring, extra: String) -> Bool {
            var scalars = Array(s.unicodeScalars)[...]
            while let c = scalars.popFirst() {
                if c == "%" {
                    guard scalars.count >= 2, scalars.prefix(2).allSatisfy({ $0.isASCII && Character($0).isHexDigit }) else { return false }
                    scalars = scalars.dropFirst(2)
                } else if !allowed(c, extra: extra) {
                    return false
                }
            }
            return true
        }
        var rest = Substring(text)
        if let hash = rest.firstIndex(of: "#") {
            guard component(rest[rest.index(after: hash)...], extra: ":@/?") else { return nil }
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") {
            guard component(rest[rest.index(after: question)...], extra: ":@/?") else { return nil }
            rest = rest[..<question]
        }
        hasScheme = false
        if let colon = rest.firstIndex(of: ":"), URIReference.scheme(of: String(rest)) != nil {
            hasScheme = true
            rest = rest[rest.index(after: colon)...]
        } else if let colon = rest.firstIndex(of: ":"), !rest[..<colon].contains("/") {
            return nil  // a first segment with a colon and no valid scheme
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<end]
            rest = rest[end...]
            if let at = authority.lastIndex(of: "@") {
                guard component(authority[..<at], extra: ":") else { return nil }
                authority = authority[authority.index(after: at)...]
            }
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { return nil }
                let literal = authority[authority.index(after: authority.startIndex)..<close]
                guard FormatAssertion.isIPv6(literal) || literal.hasPrefix("v") || literal.hasPrefix("V") else { return nil }
                authority = authority[authority.index(after: close)...]
                if !authority.isEmpty {
                    guard authority.first == ":", authority.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
                }
            } else {
                if let colon = authority.lastIndex(of: ":") {
                    guard authority[authority.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
                    authority = authority[..<colon]
                }
                guard component(authority, extra: "") else { return nil }
            }
        }
        guard component(rest, extra: ":@/") else { return nil }
    }
}
