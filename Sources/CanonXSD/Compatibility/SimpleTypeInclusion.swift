/// Whether every lexical form one simple type accepts, another accepts too.
///
/// Decided exactly for enumerations (each value is checked against the reader's facets, patterns
/// through libxml2's own regular expressions), lengths, decimal and floating-point ranges, digits,
/// built-in derivation and lists. Not decided, and so judged incompatible with a message that says
/// so: a reader pattern the writer does not have (inclusion of two regular expressions), and range
/// facets on dates, times and durations.
enum SimpleTypeInclusion {
    /// Why `reader` does not accept everything `writer` does; nil when it does.
    static func narrowing(reader r: SimpleType, writer w: SimpleType) -> String? {
        // The same type accepts the same forms, whatever is not decided about it.
        if r == w { return nil }
        if case .any = r { return nil }
        if isPlainString(r) { return nil }
        switch (w, r) {
        case (_, .any):
            return nil
        case (.union(let members, let facets), _):
            if let values = facets.enumeration { return enumerationNarrowing(values, reader: r, sameLexicalSpace: false) }
            for member in members {
                if let reason = narrowing(reader: r, writer: member) { return "a member of the writer's union: \(reason)" }
            }
            return nil
        case (_, .union(let members, let facets)):
            if case .atomic(let a) = w, let values = a.facets.enumeration {
                return enumerationNarrowing(values, reader: r, sameLexicalSpace: false)
            }
            guard facets.isEmpty else { return "the reader's union is restricted by facets the writer's \(w.name) does not have" }
            if members.contains(where: { narrowing(reader: $0, writer: w) == nil }) { return nil }
            return "no member of the reader's \(r.name) accepts every value of the writer's \(w.name)"
        case (.any, _):
            return "the writer allows any text (anySimpleType); the reader allows only \(r.name)"
        case (.list(let wItem, let wf), .list(let rItem, let rf)):
            if let values = wf.enumeration { return enumerationNarrowing(values, reader: r, sameLexicalSpace: false) }
            if let reason = narrowing(reader: rItem, writer: wItem) { return "list items: \(reason)" }
            if rf.enumeration != nil { return "the reader allows only enumerated lists; the writer allows others" }
            return lengthNarrowing(reader: rf, writer: wf, unit: "items") ?? patternNarrowing(reader: rf, writer: wf)
        case (.list, _), (_, .list):
            return "the type changed from \(w.name) to \(r.name)"
        case (.atomic(let wa), .atomic(let ra)):
            return atomicNarrowing(reader: ra, writer: wa)
        }
    }

    /// `xs:string` without facets: accepts any text.
    static func isPlainString(_ type: SimpleType) -> Bool {
        guard case .atomic(let a) = type else { return false }
        return a.primitive == "string" && a.ancestry.isEmpty && a.facets.isEmpty
    }

    private static func enumerationNarrowing(_ values: [String], reader: SimpleType, sameLexicalSpace: Bool) -> String? {
        var rejected: [String] = []
        var undecided: [String] = []
        for value in values {
            switch accepts(reader, value, lexicallyValid: sameLexicalSpace) {
            case true?: continue
            case false?: rejected.append(value)
            case nil: undecided.append(value)
            }
        }
        if !rejected.isEmpty {
            return "the writer allows \(list(rejected)), which the reader's \(reader.name) does not"
        }
        if !undecided.isEmpty {
            return "whether the reader's \(reader.name) accepts \(list(undecided)) is not decided here; judged incompatible"
        }
        return nil
    }

    private static func list(_ values: [String]) -> String {
        let shown = values.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
        return values.count > 5 ? "\(shown) and \(values.count - 5) more" : shown
    }

    private static func atomicNarrowing(reader r: SimpleType.Atomic, writer w: SimpleType.Atomic) -> String? {
        // An enumeration restricts values, not their lexical forms: value by value is sound when both
        // sides read the same lexical space the same way (one primitive, one whitespace rule), or when
        // the writer's values are strings, whose forms are the values.
        if let values = w.facets.enumeration,
            (w.primitive == r.primitive && w.whiteSpace == r.whiteSpace) || (w.primitive == "string" && w.whiteSpace == .preserve)
        {
            return enumerationNarrowing(values, reader: .atomic(r), sameLexicalSpace: w.primitive == r.primitive)
        }
        if r.primitive != w.primitive {
            let numeric = ["float", "double"].contains(r.primitive) && w.primitive == "decimal" && r.facets.isEmpty
            return numeric ? nil : "the type changed from \(w.builtin) to \(r.builtin)"
        }
        guard r.ancestry.count <= w.ancestry.count, Array(w.ancestry.prefix(r.ancestry.count)) == r.ancestry else {
            return "the type changed from \(w.builtin) to \(r.builtin)"
        }
        if let values = r.facets.enumeration {
            return "the reader allows only \(list(values)); the writer's \(w.builtin) allows other values"
        }
        // A writer that normalizes whitespace more than the reader sends forms (" ab ") whose length and
        // pattern the reader judges before normalizing them away.
        if w.whiteSpace > r.whiteSpace && (r.facets.minLength != nil || r.facets.maxLength != nil || !r.facets.patterns.isEmpty) {
            return
                "the writer's \(w.builtin) normalizes whitespace (\(w.whiteSpace.rawValue)) and the reader's \(r.builtin) does not (\(r.whiteSpace.rawValue)); its lengths and patterns on unnormalized text are not decided here; judged incompatible"
        }
        if let reason = lengthNarrowing(reader: r.facets, writer: w.facets, unit: "characters") { return reason }
        if let reason = boundNarrowing(reader: r.facets.lower, writer: w.facets.lower, primitive: r.primitive, lower: true) {
            return reason
        }
        if let reason = boundNarrowing(reader: r.facets.upper, writer: w.facets.upper, primitive: r.primitive, lower: false) {
            return reason
        }
        if let readerDigits = r.facets.totalDigits {
            guard let writerDigits = w.facets.totalDigits ?? digitsFromRange(w.facets), writerDigits <= readerDigits else {
                return "the reader allows at most \(readerDigits) digits; the writer allows more"
            }
        }
        if let readerFraction = r.facets.fractionDigits {
            guard let writerFraction = w.facets.fractionDigits, writerFraction <= readerFraction else {
                return "the reader allows at most \(readerFraction) fraction digits; the writer allows more"
            }
        }
        return patternNarrowing(reader: r.facets, writer: w.facets)
    }

    private static func lengthNarrowing(reader r: SimpleType.Facets, writer w: SimpleType.Facets, unit: String) -> String? {
        if let rMin = r.minLength, rMin > (w.minLength ?? 0) {
            return "the reader needs at least \(rMin) \(unit); the writer allows \(w.minLength ?? 0)"
        }
        if let rMax = r.maxLength, (w.maxLength ?? Int.max) > rMax {
            return "the reader allows at most \(rMax) \(unit); the writer allows \(w.maxLength.map(String.init) ?? "any number")"
        }
        return nil
    }

    private static func patternNarrowing(reader r: SimpleType.Facets, writer w: SimpleType.Facets) -> String? {
        for step in r.patterns where !w.patterns.contains(where: { Set($0) == Set(step) }) {
            return
                "the reader's pattern \(step.map { "'\($0)'" }.joined(separator: " | ")) is not one of the writer's: whether one regular expression accepts all another does is not decided here; judged incompatible"
        }
        return nil
    }

    /// Whether the reader's bound admits everything the writer's does.
    private static func boundNarrowing(reader: SimpleType.Bound?, writer: SimpleType.Bound?, primitive: String, lower: Bool) -> String? {
        guard let reader else { return nil }
        let side = lower ? "lower" : "upper"
        guard let writer else { return "the reader has a \(side) bound (\(reader.value)); the writer has none" }
        guard let order = compare(writer.value, reader.value, primitive: primitive) else {
            if writer.value.trimmingXMLWhitespace() == reader.value.trimmingXMLWhitespace(),
                writer.inclusive == reader.inclusive
                    || !writer.inclusive
            {
                return nil
            }
            return
                "the \(side) bounds \(writer.value) (writer) and \(reader.value) (reader) of \(primitive) are not compared here; judged incompatible"
        }
        // The writer's bound must lie inside the reader's (or on it, unless only the writer includes it).
        let outside = lower ? order < 0 : order > 0
        if outside || (order == 0 && writer.inclusive && !reader.inclusive) {
            return "the reader's \(side) bound \(reader.value) is tighter than the writer's \(writer.value)"
        }
        return nil
    }

    /// Orders two literals of a primitive: decimals and floating point by value; nil otherwise.
    static func compare(_ a: String, _ b: String, primitive: String) -> Int? {
        switch primitive {
        case "decimal": return DecimalLiteral.compare(a, b)
        case "float", "double":
            guard let x = double(a), let y = double(b), !x.isNaN, !y.isNaN else { return nil }
            return x < y ? -1 : x > y ? 1 : 0
        default: return nil
        }
    }

    /// An `xs:float`/`xs:double` literal's value; nil for what XML Schema does not allow (Swift's `Double`
    /// also reads `inf`, `nan` and hexadecimal).
    private static func double(_ literal: String) -> Double? {
        switch literal.trimmingXMLWhitespace() {
        case "INF": return .infinity
        case "-INF": return -.infinity
        case "NaN": return .nan
        case let text:
            var sawDigit = false, sawExponent = false, sawPoint = false
            for (i, c) in text.enumerated() {
                switch c {
                case "0"..."9": sawDigit = true
                case "+",
                    "-" where i == 0:
                    continue
                case "." where !sawPoint && !sawExponent: sawPoint = true
                case "e",
                    "E" where sawDigit && !sawExponent:
                    sawExponent = true
                    sawDigit = false
                case "+", "-": guard sawExponent, let prior = text.dropFirst(i - 1).first, prior == "e" || prior == "E" else { return nil }
                default: return nil
                }
            }
            return sawDigit ? Double(text) : nil
        }
    }

    private static func digitsFromRange(_ f: SimpleType.Facets) -> Int? {
        guard f.fractionDigits == 0, let lower = f.lower, let upper = f.upper, let a = DecimalLiteral.digits(lower.value),
            let b = DecimalLiteral.digits(upper.value)
        else { return nil }
        return max(a.total, b.total)
    }

    /// The lexical rules of the string-derived built-ins, as XML Schema patterns.
    private static let builtinPatterns: [String: String] = [
        "Name": #"\i\c*"#, "NCName": #"[\i-[:]][\c-[:]]*"#, "NMTOKEN": #"\c+"#, "language": "[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*",
    ]

    /// Whether `type` accepts the literal `value`; nil when that is not decided here. With
    /// `lexicallyValid`, the value is known to be in the primitive's lexical space.
    static func accepts(_ type: SimpleType, _ value: String, lexicallyValid: Bool = false) -> Bool? {
        switch type {
        case .any:
            return true
        case .list(let item, let facets):
            let items = value.collapsingXMLWhitespace().split(separator: " ").map(String.init)
            if let min = facets.minLength, items.count < min { return false }
            if let max = facets.maxLength, items.count > max { return false }
            if let values = facets.enumeration, !values.contains(where: { $0.collapsingXMLWhitespace() == value.collapsingXMLWhitespace() })
            {
                return false
            }
            var result: Bool? = true
            for i in items {
                switch accepts(item, i) {
                case false?: return false
                case nil: result = nil
                case true?: continue
                }
            }
            return result
        case .union(let members, let facets):
            if let values = facets.enumeration, !values.contains(value) { return false }
            if !facets.patterns.isEmpty { return nil }
            var result: Bool? = false
            for m in members {
                switch accepts(m, value) {
                case true?: return true
                case nil: result = nil
                case false?: continue
                }
            }
            return result
        case .atomic(let a):
            return acceptsAtomic(a, value, lexicallyValid: lexicallyValid)
        }
    }

    private static func acceptsAtomic(_ a: SimpleType.Atomic, _ raw: String, lexicallyValid: Bool) -> Bool? {
        let collapse = a.whiteSpace == .collapse
        let value =
            switch a.whiteSpace {
            case .collapse: raw.collapsingXMLWhitespace()
            case .replace: String(raw.map { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
            case .preserve: raw
            }
        let f = a.facets
        var decided = true
        switch a.primitive {
        case "decimal":
            guard let digits = DecimalLiteral.digits(value) else { return false }
            if let t = f.totalDigits, digits.total > t { return false }
            if let d = f.fractionDigits, digits.fraction > d { return false }
        case "float", "double":
            guard double(value) != nil else { return false }
        case "boolean":
            guard ["true", "false", "1", "0"].contains(value) else { return false }
        case "string", "anySimpleType":
            for builtin in a.ancestry {
                if let pattern = builtinPatterns[builtin] {
                    guard let ok = LibXML.matches(pattern: pattern, value) else { return nil }
                    if !ok { return false }
                }
            }
        default:
            if !lexicallyValid { decided = false }
        }
        if let lower = f.lower {
            guard let order = compare(value, lower.value, primitive: a.primitive) else { return nil }
            if order < 0 || (order == 0 && !lower.inclusive) { return false }
        }
        if let upper = f.upper {
            guard let order = compare(value, upper.value, primitive: a.primitive) else { return nil }
            if order > 0 || (order == 0 && !upper.inclusive) { return false }
        }
        if f.minLength != nil || f.maxLength != nil {
            let length: Int?
            switch a.primitive {
            case "string", "anyURI", "anySimpleType": length = value.unicodeScalars.count
            case "hexBinary": length = value.utf8.count / 2
            default: length = nil
            }
            guard let length else { return nil }
            if let min = f.minLength, length < min { return false }
            if let max = f.maxLength, length > max { return false }
        }
        if let values = f.enumeration {
            let found = values.contains { candidate in
                if let order = compare(candidate, value, primitive: a.primitive) { return order == 0 }
                return (collapse ? candidate.collapsingXMLWhitespace() : candidate) == value
            }
            if !found { return false }
        }
        for step in f.patterns {
            var matched = false
            for pattern in step {
                guard let ok = LibXML.matches(pattern: pattern, value) else { return nil }
                if ok {
                    matched = true
                    break
                }
            }
            if !matched { return false }
        }
        return decided ? true : nil
    }
}
