import CanonCore
import Foundation

/// URI references as JSON Schema resolves them (RFC 3986 section 5): enough for `$id`, `$ref`,
/// `$anchor` and `$dynamicRef` against base URIs, URNs included; never any network access.
struct URIReference: Hashable, CustomStringConvertible {
    /// Everything before the fragment.
    var base: String
    /// The fragment without `#` (nil when there is none; empty for a trailing `#`).
    var fragment: String?

    init(_ text: String) {
        if let hash = text.firstIndex(of: "#") {
            base = String(text[..<hash])
            fragment = String(text[text.index(after: hash)...])
        } else {
            base = text
            fragment = nil
        }
    }

    init(base: String, fragment: String?) {
        self.base = base
        self.fragment = fragment
    }

    var description: String { fragment.map { base + "#" + $0 } ?? base }

    /// The URI without its fragment.
    var absolute: URIReference { URIReference(base: base, fragment: nil) }

    /// The scheme (`http`, `urn`), when the reference has one.
    static func scheme(of text: String) -> Substring? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") })
        else { return nil }
        return scheme
    }

    /// `reference` resolved against this URI as its base.
    func resolving(_ reference: String) -> URIReference {
        let ref = URIReference(reference)
        if Self.scheme(of: ref.base) != nil { return URIReference(base: Self.removeDotSegmentsInPath(ref.base), fragment: ref.fragment) }
        if ref.base.isEmpty { return URIReference(base: base, fragment: ref.fragment) }
        // Split the base into scheme+authority and path (+ query).
        let (prefix, path) = Self.splitAuthority(base)
        if ref.base.hasPrefix("//") {
            let scheme = Self.scheme(of: base).map { String($0) + ":" } ?? ""
            return URIReference(base: Self.removeDotSegmentsInPath(scheme + ref.base), fragment: ref.fragment)
        }
        var mergedPath: String
        if ref.base.hasPrefix("/") {
            mergedPath = ref.base
        } else if ref.base.hasPrefix("?") {
            mergedPath = (path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "") + ref.base
        } else {
            let directory: Substring
            let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if let slash = pathOnly.lastIndex(of: "/") {
                directory = pathOnly[...slash]
            } else {
                directory = prefix.contains("//") ? "/" : ""
            }
            mergedPath = String(directory) + ref.base
        }
        mergedPath = Self.removeDotSegments(mergedPath)
        return URIReference(base: prefix + mergedPath, fragment: ref.fragment)
    }

    /// `scheme://authority` (or `scheme:`) and the rest.
    private static func splitAuthority(_ uri: String) -> (String, String) {
        guard let scheme = scheme(of: uri) else { return ("", uri) }
        let afterScheme = uri[uri.index(scheme.endIndex, offsetBy: 1)...]
        if afterScheme.hasPrefix("//") {
            let authorityStart = afterScheme.index(afterScheme.startIndex, offsetBy: 2)
            let rest = afterScheme[authorityStart...]
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            return (String(uri[..<end]), String(uri[end...]))
        }
        return (String(uri[...scheme.endIndex]), String(afterScheme))
    }

    private static func removeDotSegmentsInPath(_ uri: String) -> String {
        let (prefix, path) = splitAuthority(uri)
        guard path.contains(".") else { return uri }
        // URNs and other opaque URIs keep their path as written.
        if !prefix.hasSuffix(":") || prefix.contains("//") { return prefix + removeDotSegments(path) }
        return uri
    }

    /// RFC 3986 section 5.2.4.
    static func removeDotSegments(_ path: String) -> String {
        guard path.contains(".") else { return path }
        var query = ""
        var path = Substring(path)
        if let q = path.firstIndex(of: "?") {
            query = String(path[q...])
            path = path[..<q]
        }
        var output: [Substring] = []
        let absolute = path.hasPrefix("/")
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for (i, part) in parts.enumerated() {
            if i == 0 && absolute { continue }
            switch part {
            case ".":
                if i == parts.count - 1 { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if i == parts.count - 1 { output.append("") }
            default: output.append(part)
            }
        }
        return (absolute ? "/" : "") + output.joined(separator: "/") + query
    }
}

extension JSONPointer {
    /// The tokens of a pointer (`/a/b~1c` → `a`, `b/c`); nil when it is not a pointer. The fragment form
    /// is percent-decoded first.
    static func tokens(_ pointer: String, fragment: Bool) -> [String]? {
        var text = pointer
        if fragment { text = text.removingPercentEncoding ?? text }
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { return nil }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { unescape($0) }
    }
}
