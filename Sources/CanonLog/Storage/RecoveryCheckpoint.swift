/// A partition's recovery checkpoint (the file `recovery-checkpoint`): up to `position` in the segment
/// `baseOffset`, data and index files are durable, the next batch there gets `nextOffset`, and the first
/// `offsetEntries` and `timeEntries` of its index files are valid. Recovery scans only from here on.
struct RecoveryCheckpoint: Equatable {
    var baseOffset: Int64
    var position: Int
    var nextOffset: Int64
    var rollTimestamp: Int64
    var maxTimestamp: Int64
    var offsetOfMaxTimestamp: Int64
    var offsetEntries: Int
    var timeEntries: Int

    /// The file's first line.
    static let header = "canon-recovery-checkpoint 1"

    /// The file's text.
    var text: String {
        SmallFile.text(
            header: Self.header,
            [
                ("base-offset", "\(baseOffset)"), ("position", "\(position)"), ("next-offset", "\(nextOffset)"),
                ("roll-timestamp", "\(rollTimestamp)"), ("max-timestamp", "\(maxTimestamp)"),
                ("max-timestamp-offset", "\(offsetOfMaxTimestamp)"), ("offset-index-entries", "\(offsetEntries)"),
                ("time-index-entries", "\(timeEntries)"),
            ])
    }

    init(
        baseOffset: Int64, position: Int, nextOffset: Int64, rollTimestamp: Int64, maxTimestamp: Int64, offsetOfMaxTimestamp: Int64,
        offsetEntries: Int, timeEntries: Int
    ) {
        self.baseOffset = baseOffset
        self.position = position
        self.nextOffset = nextOffset
        self.rollTimestamp = rollTimestamp
        self.maxTimestamp = maxTimestamp
        self.offsetOfMaxTimestamp = offsetOfMaxTimestamp
        self.offsetEntries = offsetEntries
        self.timeEntries = timeEntries
    }

    /// Reads a checkpoint file's text; nil when it is not a whole, sane checkpoint.
    init?(_ text: String) {
        guard let fields = SmallFile.keyValues(text, header: Self.header) else { return nil }
        func value(_ key: String) -> Int64? { fields[key].flatMap { Int64($0) } }
        guard let base = value("base-offset"), let position = value("position"), let next = value("next-offset"),
            let roll = value("roll-timestamp"), let maxTs = value("max-timestamp"), let maxTsOffset = value("max-timestamp-offset"),
            let offsetEntries = value("offset-index-entries"), let timeEntries = value("time-index-entries"),
            base >= 0, position >= 0, position <= Int64(UInt32.max), next >= base,
            offsetEntries >= 0, offsetEntries <= position / 8 + 1, timeEntries >= 0, timeEntries <= position / 8 + 1
        else { return nil }
        self.init(
            baseOffset: base, position: Int(position), nextOffset: next, rollTimestamp: roll, maxTimestamp: maxTs,
            offsetOfMaxTimestamp: maxTsOffset, offsetEntries: Int(offsetEntries), timeEntries: Int(timeEntries))
    }
}
