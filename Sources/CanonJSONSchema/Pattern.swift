import CanonCore
import Foundation

/// A compiled `pattern` / `patternProperties` regular expression (ICU through NSRegularExpression, the
/// closest engine to ECMA-262 available to Swift on Linux and macOS; the README lists the differences).
/// Unanchored, as JSON Schema specifies: a match anywhere in the string passes.
struct Pattern: @unchecked Sendable {  // NSRegularExpression is immutable and documented thread-safe
    let source: String
    let regex: NSRegularExpression

    init?(_ source: String) {
        guard let regex = Self.compiled(source) else { return nil }
        self.source = source
        self.regex = regex
    }

    /// Regexes compiled so far, by source (nil: not a valid regex). Every parse of a schema compiles its
    /// patterns again (a lookup, a restart, a compatibility check), and Foundation's NSRegularExpression
    /// on Linux leaks its copy of a pattern longer than 256 UTF-16 units each time it compiles one: the
    /// cache compiles each pattern once. Cleared when it holds 4,096.
    private static let cache = Locked<[String: NSRegularExpression?]>([:])

    private static func compiled(_ source: String) -> NSRegularExpression? {
        if let known = cache.withValue({ $0[source] }) { return known }
        let regex = try? NSRegularExpression(pattern: translated(source), options: [])
        cache.withValue { all in
            if all.count >= 4096 { all = [:] }
            all[source] = .some(regex)
        }
        return regex
    }

    /// Whether the pattern matches somewhere in `text`; nil when matching took more than `budget`
    /// progress reports of the regex engine (each a slice of backtracking work: a pattern like
    /// `(a+)+$` on a long run of `a`s would otherwise hold a core for minutes).
    func matches(_ text: String, budget: Int) -> Bool? {
        var left = budget
        return matches(text, budget: &left)
    }

    /// As ``matches(_:budget:)``, taking the work from `budget` (shared by every match of one validation).
    func matches(_ text: String, budget: inout Int) -> Bool? {
        let range =
            text.utf8.allSatisfy({ $0 < 0x80 }) ? NSRange(location: 0, length: text.utf16.count) : NSRange(text.startIndex..., in: text)
        var found = false
        var reports = 0
        let limit = budget
        regex.enumerateMatches(in: text, options: [.reportProgress], range: range) { match, _, stop in
            if match != nil {
                found = true
                stop.pointee = true
            } else {
                reports += 1
                if reports > limit { stop.pointee = true }
            }
        }
        budget -= min(reports, limit + 1)
        return found ? true : (reports > limit ? nil : false)
    }

    /// ECMA-262 forms ICU reads differently: `\cX` control escapes and `\u{…}`, `\p{L}`-style forms are
    /// the same; `\d`, `\w`, `\D` and `\W` are ASCII in ECMA-262 (ICU's are Unicode), in classes too;
    /// `$` does not match before a final newline in ECMA-262 (ICU's does); `[]` matches nothing and `[^]`
    /// any character.
    static func translated(_ source: String) -> String {
        var out = ""
        var inClass = false
        var chars = Array(source)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count {
                let n = chars[i + 1]
                switch n {
                case "d": out += inClass ? "0-9" : "[0-9]"
                // Inside a class, the complements as ranges: every code point but the ASCII digits (or word characters).
                case "D": out += inClass ? "\\x{0}-/:-\\x{10FFFF}" : "[^0-9]"
                case "w": out += inClass ? "a-zA-Z0-9_" : "[a-zA-Z0-9_]"
                case "W": out += inClass ? "\\x{0}-/:-@\\[-^`{-\\x{10FFFF}" : "[^a-zA-Z0-9_]"
                default: out.append(c); out.append(n)
                }
                i += 2
                continue
            }
            if inClass {
                if c == "]" { inClass = false }
                out.append(c)
            } else if c == "[" {
                if i + 2 < chars.count, chars[i + 1] == "^", chars[i + 2] == "]" {
                    out += "[\\s\\S]"
                    i += 3
                    continue
                }
                if i + 1 < chars.count, chars[i + 1] == "]" {
                    out += "(?!)"  // ECMA-262's empty class matches nothing
                    i += 2
                    continue
                }
                inClass = true
                out.append(c)
                // A `]` first in a class is literal in ICU but closes an empty class in ECMA-262.
                if i + 1 < chars.count, chars[i + 1] == "^" {
                    out.append("^")
                    i += 1
                }
            } else if c == "$" {
                out += "\\z"
            } else {
                out.append(c)
            }
            i += 1
        }
        chars.removeAll()
        return out
    }
}
