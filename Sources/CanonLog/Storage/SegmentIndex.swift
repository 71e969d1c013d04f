/// The sparse offset index and time index of one segment, as Kafka keeps them beside each `.log` file.
///
/// An entry is added for a batch when more than `indexIntervalBytes` of batches were appended since the
/// last entry (Kafka's `index.interval.bytes` rule), so there is about one entry per 4 KiB of log:
/// - `.index`: 8-byte entries, the batch's base offset relative to the segment's base offset (4 bytes,
///   big-endian) and the batch's byte position (4 bytes);
/// - `.timeindex`: 12-byte entries, the largest timestamp of the records up to and including that batch
///   (8 bytes) and the batch's last offset relative to the segment base (4 bytes); timestamps increase.
///
/// Index files carry no checksum: they are derived from the log and rebuilt from it when missing, not
/// sane, or beyond the recovery checkpoint.
public struct SegmentIndex: Sendable, Equatable {
    public struct OffsetEntry: Sendable, Equatable {
        public var relativeOffset: UInt32
        public var position: UInt32
    }

    public struct TimeEntry: Sendable, Equatable {
        public var timestamp: Int64
        public var relativeOffset: UInt32
    }

    public var offsets: [OffsetEntry] = []
    public var times: [TimeEntry] = []
    /// Bytes of batches appended since the last offset entry.
    public var bytesSinceEntry = 0
    /// The largest timestamp in the segment (-1 when it has no record), and the offset of its batch's last
    /// record.
    public var maxTimestamp: Int64 = -1
    public var offsetOfMaxTimestamp: Int64 = -1

    public init() {}

    /// Accounts for a batch appended at `position`.
    public mutating func add(_ batch: SegmentScan.Entry, segmentBase: Int64, interval: Int) {
        if batch.maxTimestamp > maxTimestamp {
            maxTimestamp = batch.maxTimestamp
            offsetOfMaxTimestamp = batch.lastOffset
        }
        if bytesSinceEntry > interval {
            offsets.append(OffsetEntry(relativeOffset: UInt32(batch.baseOffset - segmentBase), position: UInt32(batch.position)))
            appendTimeEntry(segmentBase: segmentBase, lastOffset: batch.lastOffset)
            bytesSinceEntry = 0
        }
        bytesSinceEntry += batch.size
    }

    /// Adds a time entry for the largest timestamp so far if it is larger than the last entry's (on
    /// every offset entry, and when the segment is sealed, as Kafka does).
    public mutating func appendTimeEntry(segmentBase: Int64, lastOffset: Int64) {
        guard maxTimestamp >= 0, maxTimestamp > (times.last?.timestamp ?? -1) else { return }
        times.append(TimeEntry(timestamp: maxTimestamp, relativeOffset: UInt32(lastOffset - segmentBase)))
    }

    /// The position to start scanning from for `offset`: the greatest entry at or below it.
    public func position(for offset: Int64, segmentBase: Int64) -> Int {
        entry(for: offset, segmentBase: segmentBase).position
    }

    /// The greatest entry at or below `offset`, as a byte position and the base offset of the batch
    /// there (the segment's start when there is none).
    public func entry(for offset: Int64, segmentBase: Int64) -> (position: Int, offset: Int64) {
        let relative = offset - segmentBase
        var low = 0, high = offsets.count
        while low < high {
            let mid = (low + high) / 2
            if Int64(offsets[mid].relativeOffset) <= relative { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? (0, segmentBase) : (Int(offsets[low - 1].position), segmentBase + Int64(offsets[low - 1].relativeOffset))
    }

    /// The first offset that can hold a timestamp at or after `timestamp`: after the greatest time entry
    /// whose timestamp is below it (every record up to that entry's offset is older).
    public func firstCandidate(forTimestamp timestamp: Int64, segmentBase: Int64) -> Int64 {
        var low = 0, high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid].timestamp < timestamp { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? segmentBase : segmentBase + Int64(times[low - 1].relativeOffset) + 1
    }

    /// Drops entries for batches at or after `position`, which hold offsets from `offset` on (a log cut
    /// back). The largest timestamp is kept: an over-estimate only makes time lookups scan a little more.
    public mutating func truncate(toPosition position: Int, offset: Int64, segmentBase: Int64) {
        while let last = offsets.last, Int(last.position) >= position { offsets.removeLast() }
        while let last = times.last, segmentBase + Int64(last.relativeOffset) >= offset { times.removeLast() }
        bytesSinceEntry = interval(afterLastEntryTo: position)
    }

    private func interval(afterLastEntryTo position: Int) -> Int {
        position - (offsets.last.map { Int($0.position) } ?? 0)
    }

    // MARK: - Files

    static func encodeOffsets(_ entries: ArraySlice<OffsetEntry>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 8)
        for e in entries {
            out.appendBigEndian(e.relativeOffset)
            out.appendBigEndian(e.position)
        }
        return out
    }

    static func encodeTimes(_ entries: ArraySlice<TimeEntry>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 12)
        for e in entries {
            out.appendBigEndian(e.timestamp)
            out.appendBigEndian(e.relativeOffset)
        }
        return out
    }

    /// Reads index files; nil when they are not sane (length not a multiple of the entry size, offsets or
    /// timestamps not increasing, positions at or past `segmentSize`).
    static func decode(offsets offsetBytes: [UInt8], times timeBytes: [UInt8], segmentSize: Int) -> (
        offsets: [OffsetEntry], times: [TimeEntry]
    )? {
        guard offsetBytes.count % 8 == 0, timeBytes.count % 12 == 0 else { return nil }
        var offsets: [OffsetEntry] = []
        var times: [TimeEntry] = []
        offsetBytes.withUnsafeBytes { raw in
            for i in stride(from: 0, to: raw.count, by: 8) {
                offsets.append(
                    OffsetEntry(relativeOffset: raw.loadBigEndian(UInt32.self, at: i), position: raw.loadBigEndian(UInt32.self, at: i + 4)))
            }
        }
        timeBytes.withUnsafeBytes { raw in
            for i in stride(from: 0, to: raw.count, by: 12) {
                times.append(
                    TimeEntry(timestamp: raw.loadBigEndian(Int64.self, at: i), relativeOffset: raw.loadBigEndian(UInt32.self, at: i + 8)))
            }
        }
        for (a, b) in zip(offsets, offsets.dropFirst()) where b.relativeOffset <= a.relativeOffset || b.position <= a.position {
            return nil
        }
        if let last = offsets.last, Int(last.position) >= segmentSize { return nil }
        for (a, b) in zip(times, times.dropFirst()) where b.timestamp <= a.timestamp || b.relativeOffset < a.relativeOffset { return nil }
        return (offsets, times)
    }
}
