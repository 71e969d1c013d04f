/// What a scan of a segment's bytes found: the valid batches, and what follows them.
///
/// Recovery truncates only a torn tail — bytes after the last complete, valid batch with nothing valid
/// after them (zeros of preallocation are the normal end). A bad batch followed by a valid one is
/// corruption of acknowledged data: the partition must open read-only up to it, and only an explicit
/// repair truncates there.
public struct SegmentScan: Sendable, Equatable {
    /// One valid batch: where it starts, its offsets.
    public struct Entry: Sendable, Equatable {
        public var position: Int
        public var size: Int
        public var baseOffset: Int64
        public var lastOffset: Int64
        public var maxTimestamp: Int64

        public init(position: Int, size: Int, baseOffset: Int64, lastOffset: Int64, maxTimestamp: Int64) {
            self.position = position
            self.size = size
            self.baseOffset = baseOffset
            self.lastOffset = lastOffset
            self.maxTimestamp = maxTimestamp
        }
    }

    /// What comes after the valid batches.
    public enum Ending: Sendable, Equatable {
        /// The bytes end right after the last batch, or only zeros follow.
        case clean
        /// Bytes that are not a complete valid batch, and no valid batch after them: safe to truncate.
        case tornTail(position: Int, reason: String)
        /// A bad region followed by a valid batch at `resumesAt`: acknowledged data is damaged.
        case corruption(position: Int, reason: String, resumesAt: Int)
    }

    public var entries: [Entry]
    public var ending: Ending

    /// Where the scanned bytes start in their file.
    public var start: Int

    /// The end of the last valid batch (where appends continue after truncating a torn tail).
    public var validEnd: Int { entries.last.map { $0.position + $0.size } ?? start }

    /// The offset the next batch gets.
    public var nextOffset: Int64? { entries.last.map { $0.lastOffset + 1 } }

    /// Scans `bytes`, which start at byte `start` of their file (positions in entries and endings are
    /// file positions); the first batch must start at `expectedBaseOffset` when given, and every batch
    /// must follow the previous one's last offset (the CRC does not cover offsets, so continuity is
    /// checked beside it). Batches are checked by header and CRC (which covers the records), not decoded.
    public init(_ bytes: [UInt8], expectedBaseOffset: Int64? = nil, start: Int = 0) {
        self.start = start
        var entries: [Entry] = []
        var ending = Ending.clean
        bytes.withUnsafeBytes { raw in
            var position = 0
            var expected = expectedBaseOffset
            while position < raw.count {
                if raw[position] == 0, raw[position...].allSatisfy({ $0 == 0 }) { break }  // preallocated space
                switch Self.batch(at: position, in: raw, expected: expected) {
                case .success(var entry):
                    entry.position += start
                    entries.append(entry)
                    expected = entry.lastOffset + 1
                    position += entry.size
                case .failure(let reason):
                    // A valid batch further on means the damage is inside acknowledged data.
                    if let resume = Self.nextValidBatch(after: position, in: raw, expected: expected) {
                        ending = .corruption(position: start + position, reason: reason, resumesAt: start + resume)
                    } else {
                        ending = .tornTail(position: start + position, reason: reason)
                    }
                    return
                }
            }
        }
        self.entries = entries
        self.ending = ending
    }

    private enum Outcome {
        case success(Entry)
        case failure(String)
    }

    private static func batch(at position: Int, in raw: UnsafeRawBufferPointer, expected: Int64?) -> Outcome {
        guard let size = RecordBatch.totalSize(of: raw, at: position) else { return .failure("incomplete batch header") }
        guard size >= RecordBatch.headerSize else { return .failure("batch length \(size) is shorter than a batch header") }
        guard position + size <= raw.count else { return .failure("batch of \(size) bytes runs past the end of the segment") }
        let batch: RecordBatch.Summary
        do {
            batch = try RecordBatch.summary(of: UnsafeRawBufferPointer(rebasing: raw[position..<(position + size)]), position: position)
        } catch {
            return .failure(error.message)
        }
        if let expected, batch.baseOffset != expected {
            return .failure("batch starts at offset \(batch.baseOffset), expected \(expected)")
        }
        return .success(
            Entry(
                position: position, size: size, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp
            ))
    }

    /// The position of a valid batch after a bad one, if any (searched byte by byte).
    private static func nextValidBatch(after bad: Int, in raw: UnsafeRawBufferPointer, expected: Int64?) -> Int? {
        var p = bad + 1
        while p + RecordBatch.headerSize <= raw.count {
            if raw[p + 16] == 2, case .success(let entry) = batch(at: p, in: raw, expected: nil),
                expected.map({ entry.baseOffset >= $0 }) ?? true
            {
                return p
            }
            p += 1
        }
        return nil
    }
}
