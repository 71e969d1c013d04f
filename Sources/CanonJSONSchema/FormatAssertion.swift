import CanonCore

/// `format` as an assertion (when asked): what is wrong with a string of a known format; unknown
/// formats and non-strings pass.
enum FormatAssertion {
    static func problem(_ format: String, _ value: JSONValue) -> String? {
        guard case .string(let text) = value else { return nil }
        let ok: Bool
        switch format {
        default: ok = true
        }
        _ = text
        return ok ? nil : "'\(text)' is not a valid \(format)"
    }
}
