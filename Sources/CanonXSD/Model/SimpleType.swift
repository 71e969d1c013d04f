/// A simple type as the compatibility checker compares it: which lexical forms it accepts.
indirect enum SimpleType: Sendable, Hashable {
    /// `xs:anySimpleType`: every string.
    case any
    case atomic(Atomic)
    /// Whitespace-separated items of `item`; the facets count items.
    case list(item: SimpleType, facets: Facets)
    case union(members: [SimpleType], facets: Facets)

    /// A type derived from a built-in primitive by restriction.
    struct Atomic: Sendable, Hashable {
        /// The primitive (`decimal`, `string`, `dateTime`…).
        var primitive: String
        /// The nearest built-in type, for messages (`int`, `token`…).
        var builtin: String
        /// The built-ins between the primitive and this type, outermost first (`[normalizedString, token]`):
        /// they carry lexical rules of their own (patterns, whitespace) the facets do not spell.
        var ancestry: [String]
        var facets: Facets

        /// The whitespace normalization in force: the facet's, else `collapse` except for `string`
        /// (`preserve`) and `normalizedString` (`replace`).
        var whiteSpace: WhiteSpace {
            if let explicit = facets.whiteSpace { return explicit }
            if primitive != "string" && primitive != "anySimpleType" { return .collapse }
            if ancestry.contains("token") { return .collapse }
            return ancestry.contains("normalizedString") ? .replace : .preserve
        }
    }

    /// How a type normalizes whitespace before its other facets apply.
    enum WhiteSpace: String, Sendable, Hashable, Comparable {
        case preserve, replace, collapse

        static func < (a: WhiteSpace, b: WhiteSpace) -> Bool { a.rank < b.rank }
        private var rank: Int { self == .preserve ? 0 : self == .replace ? 1 : 2 }
    }

    /// The facets that narrow a type (for lists, lengths count items).
    struct Facets: Sendable, Hashable {
        /// Set by a `whiteSpace` facet; otherwise the built-in's (see ``Atomic/whiteSpace``).
        var whiteSpace: WhiteSpace?
        var enumeration: [String]?
        /// One entry per derivation step: the step's patterns (any of them may match); every step must match.
        var patterns: [[String]] = []
        var minLength: Int?
        var maxLength: Int?
        var lower: Bound?
        var upper: Bound?
        var totalDigits: Int?
        var fractionDigits: Int?

        var isEmpty: Bool {
            whiteSpace == nil && enumeration == nil && patterns.isEmpty && minLength == nil && maxLength == nil && lower == nil
                && upper == nil
                && totalDigits == nil && fractionDigits == nil
        }
    }

    /// A range end: its literal, and whether it is in the range.
    struct Bound: Sendable, Hashable {
        var value: String
        var inclusive: Bool
    }

    /// The type's name in messages.
    var name: String {
        switch self {
        case .any: "anySimpleType"
        case .atomic(let atomic): atomic.builtin
        case .list(let item, _): "list of \(item.name)"
        case .union(let members, _): "union of \(members.map(\.name).joined(separator: ", "))"
        }
    }
}

/// The built-in simple types of XML Schema 1.0.
enum BuiltinTypes {
    static let primitives: Set<String> = [
        "string", "boolean", "decimal", "float", "double", "duration", "dateTime", "time", "date", "gYearMonth", "gYear", "gMonthDay",
        "gDay", "gMonth", "hexBinary", "base64Binary", "anyURI", "QName", "NOTATION",
    ]

    /// The string-derived built-ins, each with its base.
    static let stringDerived: [String: String] = [
        "normalizedString": "string", "token": "normalizedString", "language": "token", "NMTOKEN": "token", "Name": "token",
        "NCName": "Name", "ID": "NCName", "IDREF": "NCName", "ENTITY": "NCName",
    ]

    /// The integer built-ins: bounds (nil: none).
    static let integers: [String: (lower: String?, upper: String?)] = [
        "integer": (nil, nil), "nonPositiveInteger": (nil, "0"), "negativeInteger": (nil, "-1"),
        "long": ("-9223372036854775808", "9223372036854775807"), "int": ("-2147483648", "2147483647"), "short": ("-32768", "32767"),
        "byte": ("-128", "127"), "nonNegativeInteger": ("0", nil), "unsignedLong": ("0", "18446744073709551615"),
        "unsignedInt": ("0", "4294967295"), "unsignedShort": ("0", "65535"), "unsignedByte": ("0", "255"), "positiveInteger": ("1", nil),
    ]

    /// The lexical space of `xs:integer` and the types derived from it.
    static let integerPattern = #"[\-+]?[0-9]+"#

    /// The built-in list types and their items.
    static let lists: [String: String] = ["NMTOKENS": "NMTOKEN", "IDREFS": "IDREF", "ENTITIES": "ENTITY"]

    /// The built-in named `local`; nil when there is none.
    static func type(_ local: String) -> SimpleType? {
        if local == "anySimpleType" { return .any }
        if primitives.contains(local) {
            return .atomic(.init(primitive: local, builtin: local, ancestry: [], facets: .init()))
        }
        if stringDerived[local] != nil {
            var ancestry: [String] = []
            var name = local
            while name != "string", let base = stringDerived[name] {
                ancestry.insert(name, at: 0)
                name = base
            }
            return .atomic(.init(primitive: "string", builtin: local, ancestry: ancestry, facets: .init()))
        }
        if let bounds = integers[local] {
            var facets = SimpleType.Facets()
            facets.fractionDigits = 0
            // The integer types' own lexical rule (no point): a decimal with fractionDigits 0 allows "1.".
            facets.patterns = [[integerPattern]]
            facets.lower = bounds.lower.map { .init(value: $0, inclusive: true) }
            facets.upper = bounds.upper.map { .init(value: $0, inclusive: true) }
            return .atomic(.init(primitive: "decimal", builtin: local, ancestry: [], facets: facets))
        }
        if let item = lists[local], let itemType = type(item) {
            var facets = SimpleType.Facets()
            facets.minLength = 1
            return .list(item: itemType, facets: facets)
        }
        return nil
    }
}

/// Decimal literals compared by value, at any precision.
enum DecimalLiteral {
    /// The value of a decimal (or integer) literal as sign, integer digits and fraction digits without
    /// leading and trailing zeros; nil when it is not one.
    static func parse(_ literal: String) -> (negative: Bool, integer: [UInt8], fraction: [UInt8])? {
        var text = Substring(literal.trimmingXMLWhitespace())
        var negative = false
        if text.first == "-" || text.first == "+" {
            negative = text.first == "-"
            text = text.dropFirst()
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !text.isEmpty, text != ".", parts.count <= 2 else { return nil }
        let digits: (Substring) -> [UInt8]? = { part in
            var out: [UInt8] = []
            for c in part.utf8 {
                guard c >= 48, c <= 57 else { return nil }
                out.append(c - 48)
            }
            return out
        }
        guard var integer = digits(parts[0]), var fraction = parts.count == 2 ? digits(parts[1]) : [] else { return nil }
        while integer.first == 0 { integer.removeFirst() }
        while fraction.last == 0 { fraction.removeLast() }
        if integer.isEmpty && fraction.isEmpty { negative = false }
        return (negative, integer, fraction)
    }

    /// -1, 0 or 1 as `a` is less than, equal to or greater than `b`; nil when either is not a decimal.
    static func compare(_ a: String, _ b: String) -> Int? {
        guard let x = parse(a), let y = parse(b) else { return nil }
        if x.negative != y.negative { return x.negative ? -1 : 1 }
        var magnitude: Int
        if x.integer.count != y.integer.count {
            magnitude = x.integer.count < y.integer.count ? -1 : 1
        } else if x.integer != y.integer {
            magnitude = x.integer.lexicographicallyPrecedes(y.integer) ? -1 : 1
        } else if x.fraction != y.fraction {
            magnitude = x.fraction.lexicographicallyPrecedes(y.fraction) ? -1 : 1
        } else {
            magnitude = 0
        }
        return x.negative ? -magnitude : magnitude
    }

    /// Digits in all and after the point.
    static func digits(_ literal: String) -> (total: Int, fraction: Int)? {
        guard let value = parse(literal) else { return nil }
        return (max(1, value.integer.count + value.fraction.count), value.fraction.count)
    }
}
