/// The data directory's small text files: the format version, the topic files, the clean-shutdown
/// marker and each partition's recovery checkpoint. Each is written so that after a crash it is whole
/// (the new or the old one) or absent, and read as `key=value` lines.
enum SmallFile {
    /// Writes `text` to `path` durably: a temporary file beside it, synced, renamed over `path`, and the
    /// directory synced.
    static func writeDurably(_ text: String, to path: String, fileSystem fs: any LogFileSystem) throws(LogError) {
        let temporary = path + ".tmp"
        let h = try fs.open(temporary, create: true)
        defer { fs.close(h) }
        try fs.truncate(h, to: 0)
        try fs.write(h, Array(text.utf8), at: 0)
        try fs.sync(h)
        try fs.rename(temporary, to: path)
        try fs.syncDirectory(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]))
    }

    /// `pairs` as `key=value` lines (after `header`, when given), each ending in a line break.
    static func text(header: String? = nil, _ pairs: [(key: String, value: String)]) -> String {
        ((header.map { [$0] } ?? []) + pairs.map { "\($0.key)=\($0.value)" }).joined(separator: "\n") + "\n"
    }

    /// Whether `key=value` can be a line of such a file: a non-empty key without `=`, and no line break
    /// (LF or CR) in either.
    static func fits(key: String, value: String) -> Bool {
        func breaksLine(_ byte: UInt8) -> Bool { byte == 10 || byte == 13 }
        return !key.isEmpty && !key.utf8.contains(UInt8(ascii: "=")) && !key.utf8.contains(where: breaksLine)
            && !value.utf8.contains(where: breaksLine)
    }

    /// The `key=value` lines of `text` (split at each LF byte, and at the first `=`), after a first line
    /// that must be `header` (when given). Nil when the header differs, a non-empty line has no `=`, or a
    /// key repeats.
    static func keyValues(_ text: String, header: String? = nil) -> [String: String]? {
        var lines = text.utf8.split(separator: 10)[...]
        if let header {
            guard let first = lines.first, first.elementsEqual(header.utf8) else { return nil }
            lines = lines.dropFirst()
        }
        var values: [String: String] = [:]
        for line in lines {
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = String(decoding: line[..<eq], as: UTF8.self)
            let value = String(decoding: line[line.index(after: eq)...], as: UTF8.self)
            guard values.updateValue(value, forKey: key) == nil else { return nil }
        }
        return values
    }
}
