/// Turning Avro names into Swift identifiers: casing, and escaping of keywords.
enum SwiftNaming {
    /// Words that must be escaped with backticks to be used as an identifier.
    static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "nonisolated", "open", "operator", "package", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer",
        "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any",
        "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "Type", "Protocol", "_",
    ]

    /// Type names that would hide a module generated code refers to, or that Swift gives a meaning.
    static let reservedTypeNames: Set<String> = ["Swift", "Foundation", "CanonAvro", "Protocol", "Self", "Any"]

    /// `name` escaped with backticks when it is a keyword.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// Words of an identifier: split at underscores, and at lower-to-upper case changes.
    static func words(_ name: String) -> [String] {
        var words: [String] = []
        for part in name.split(separator: "_", omittingEmptySubsequences: true) {
            var current = ""
            let chars = Array(part)
            for (i, c) in chars.enumerated() {
                if !current.isEmpty, c.isUppercase {
                    let prevLower = chars[i - 1].isLowercase || chars[i - 1].isNumber
                    let nextLower = i + 1 < chars.count && chars[i + 1].isLowercase
                    if prevLower || (chars[i - 1].isUppercase && nextLower) {
                        words.append(current)
                        current = ""
                    }
                }
                current.append(c)
            }
            if !current.isEmpty { words.append(current) }
        }
        return words
    }

    /// `UpperCamelCase` for type names: `order_placed` -> `OrderPlaced`; an already camel-cased name
    /// keeps its inner capitals (`OrderPlaced`, `HTTPRequest`).
    static func typeName(_ name: String) -> String {
        let ws = words(name)
        guard !ws.isEmpty else { return "Underscore\(name.count)" }  // a name of underscores only
        let joined = ws.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return joined.first!.isNumber ? "_" + joined : joined
    }

    /// `lowerCamelCase` for properties and cases: `customer_id` -> `customerId`, `PENDING` -> `pending`,
    /// `IN_TRANSIT` -> `inTransit`, `orderId` stays.
    static func memberName(_ name: String) -> String {
        let ws = words(name)
        guard !ws.isEmpty else { return "underscore\(name.count)" }
        var out = ""
        for (i, w) in ws.enumerated() {
            let allUpper = w == w.uppercased()
            let lowered = allUpper ? w.lowercased() : w
            out += i == 0 ? lowered.prefix(1).lowercased() + lowered.dropFirst() : lowered.prefix(1).uppercased() + lowered.dropFirst()
        }
        return out.first!.isNumber ? "_" + out : out
    }

    /// Member names for a list of Avro names: Swift-cased, unless two would collide, in which case every
    /// name of that list keeps its Avro spelling (still unique, as Avro requires). Keywords are escaped.
    static func memberNames(_ names: [String]) -> [String] {
        let cased = names.map(memberName)
        let chosen = Set(cased).count == cased.count ? cased : names
        return chosen.map(escaped)
    }
}
