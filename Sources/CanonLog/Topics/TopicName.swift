/// Topic names, checked against Kafka's rule.
public enum TopicName {
    /// The longest name Kafka allows.
    public static let maximumLength = 249

    /// Throws unless `name` is 1–249 characters of `[A-Za-z0-9._-]` and not `.` or `..`.
    public static func validate(_ name: String) throws(LogError) {
        guard !name.isEmpty else { throw LogError(.invalidTopicName, "a topic name cannot be empty") }
        guard name != "." && name != ".." else {
            throw LogError(.invalidTopicName, "a topic name cannot be '\(name)'")
        }
        guard name.utf8.count <= maximumLength else {
            throw LogError(.invalidTopicName, "topic name is \(name.utf8.count) characters long; at most \(maximumLength) are allowed")
        }
        for c in name.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                throw LogError(
                    .invalidTopicName, "topic name '\(name)' contains '\(Character(Unicode.Scalar(c)))'; only [A-Za-z0-9._-] are allowed")
            }
        }
    }

    /// Whether the name is reserved for internal topics (it starts with `_`).
    public static func isInternal(_ name: String) -> Bool { name.hasPrefix("_") }
}
