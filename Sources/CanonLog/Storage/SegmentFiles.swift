/// The files of one partition's segments, named as Kafka names them: `<base offset, 20 digits>.log`
/// with its `.index` and `.timeindex`. Listing and removing segments go through here.
struct SegmentFiles {
    /// A segment's file suffixes, data first.
    static let suffixes = [".log", ".index", ".timeindex"]

    /// The partition directory.
    let directory: String

    /// The data file's name of the segment with this base offset.
    static func logFileName(baseOffset: Int64) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// The segment's path without a suffix.
    func stem(baseOffset: Int64) -> String {
        "\(directory)/\(Self.logFileName(baseOffset: baseOffset).dropLast(4))"
    }

    /// The segment's data file.
    func logPath(baseOffset: Int64) -> String {
        "\(directory)/\(Self.logFileName(baseOffset: baseOffset))"
    }

    /// The base offsets of the segments in the directory, ascending.
    func baseOffsets(_ fs: any LogFileSystem) throws(LogError) -> [Int64] {
        try fs.contentsOfDirectory(directory).filter { $0.hasSuffix(".log") && $0.count == 24 }.compactMap { Int64($0.dropLast(4)) }
            .sorted()
    }

    /// Removes the segment's files (those that exist). The caller syncs the directory.
    func remove(baseOffset: Int64, _ fs: any LogFileSystem) throws(LogError) {
        let stem = stem(baseOffset: baseOffset)
        for suffix in Self.suffixes where fs.fileExists(stem + suffix) { try fs.remove(stem + suffix) }
    }

    /// Removes what it can of the segment's files, going on past a failure (cleaning up after one).
    func removeWhatCanBeRemoved(baseOffset: Int64, _ fs: any LogFileSystem) {
        let stem = stem(baseOffset: baseOffset)
        for suffix in Self.suffixes where fs.fileExists(stem + suffix) { try? fs.remove(stem + suffix) }
    }
}
