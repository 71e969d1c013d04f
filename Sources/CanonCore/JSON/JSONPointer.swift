/// JSON Pointer (RFC 6901) reference tokens: the one escaper of the package (Avro's datum paths, JSON
/// Schema's instance paths and `$ref` pointers).
public enum JSONPointer {
    /// A token escaped for a pointer (`a/b~c` → `a~1b~0c`).
    public static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return replacing(replacing(token, "~", "~0"), "/", "~1")
    }

    /// An escaped token read back (`a~1b~0c` → `a/b~c`).
    public static func unescape(_ token: some StringProtocol) -> String {
        guard token.utf8.contains(UInt8(ascii: "~")) else { return String(token) }
        return replacing(replacing(String(token), "~1", "/"), "~0", "~")
    }

    private static func replacing(_ text: String, _ target: String, _ replacement: String) -> String {
        text.split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
