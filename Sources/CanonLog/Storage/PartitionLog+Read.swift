import Foundation

/// Reading visible batches by offset and by time, and retention.
extension PartitionLog {
    /// Visible batches holding offsets from `offset` on, up to about `maxBytes` (at least one batch).
    /// A damaged batch is never served: the read fails naming segment and position, and the partition
    /// becomes read-only.
    public func read(from offset: Int64, maxBytes: Int = 1 << 20) throws(LogError) -> [RecordBatch] {
        try scan(from: offset, maxBytes: maxBytes) { (bytes, segment, position) throws(LogError) in
            do throws(LogError) {
                return try RecordBatch(decoding: bytes, position: position)  // checks the header and CRC too
            } catch {
                throw damaged(segment, at: position, error.message)
            }
        }
    }

    /// Visible batches holding offsets from `offset` on, up to about `maxBytes` (at least one batch), as
    /// they are stored (a producer's bytes, compressed or not, with the base offset stamped): checked
    /// (header, CRC-32C, offset continuity), not decoded. A damaged batch is never served.
    public func readStored(from offset: Int64, maxBytes: Int = 1 << 20) throws(LogError) -> [StoredBatch] {
        try scan(from: offset, maxBytes: maxBytes) { (bytes, segment, position) throws(LogError) in
            let checked = bytes.withUnsafeBytes { (raw) -> Result<RecordBatch.Summary, LogError> in
                do throws(LogError) { return .success(try RecordBatch.summary(of: raw, position: position)) } catch {
                    return .failure(error)
                }
            }
            do throws(LogError) {
                let summary = try checked.get()
                return StoredBatch(bytes: bytes, baseOffset: summary.baseOffset, lastOffset: summary.lastOffset)
            } catch {
                throw damaged(segment, at: position, error.message)
            }
        }
    }

    /// The batches `read` and `readStored` return: each batch's bytes (whose base offset has been checked
    /// to follow the batch before) go through `take`, which checks the rest once (a decode, or the
    /// header and CRC).
    private func scan<T>(from offset: Int64, maxBytes: Int, _ take: ([UInt8], Segment, Int) throws(LogError) -> T) throws(LogError) -> [T] {
        try unpark()
        let from = max(offset, startOffset)
        if let damage, from >= damage.from {
            throw LogError(.damaged, "offset \(from) cannot be served: \(damage.reason)", location: location())
        }
        guard from < durableNextOffset else { return [] }
        let first = segments.lastIndex { $0.baseOffset <= from } ?? 0
        var result: [T] = []
        var total = 0
        for (k, segment) in segments[first...].enumerated() {
            // The CRC does not cover base offsets: every batch must continue from the one before it.
            var (position, expected) = k == 0 ? segment.index.entry(for: from, segmentBase: segment.baseOffset) : (0, segment.baseOffset)
            while position < segment.size {
                if expected >= durableNextOffset { return result }
                let want = min(segment.size - position, max(maxBytes - total, 0) + 64 * 1024)
                var chunk = try fs.read(segment.handle, at: position, count: want)
                var local = 0
                while local + RecordBatch.logOverhead <= chunk.count {
                    let size = chunk.withUnsafeBytes { RecordBatch.totalSize(of: $0, at: local)! }
                    guard size >= RecordBatch.headerSize, position + local + size <= segment.size else {
                        throw damaged(
                            segment, at: position + local,
                            size < RecordBatch.headerSize
                                ? "batch length \(size) is shorter than a batch header"
                                : "batch of \(size) bytes runs past the end of the segment")
                    }
                    if local + size > chunk.count {
                        guard local == 0 else { break }  // read the rest from this batch on
                        chunk = try fs.read(segment.handle, at: position, count: size)  // one batch larger than the chunk
                        guard chunk.count == size else { throw damaged(segment, at: position, "batch of \(size) bytes is cut short") }
                    }
                    let (base, lastDelta) = chunk.withUnsafeBytes {
                        ($0.loadBigEndian(Int64.self, at: local), $0.loadBigEndian(Int32.self, at: local + 23))
                    }
                    guard base == expected, lastDelta >= 0 else {
                        throw damaged(segment, at: position + local, "batch starts at offset \(base), expected \(expected)")
                    }
                    if base >= durableNextOffset { return result }
                    let last = base + Int64(lastDelta)
                    if last >= from {
                        if !result.isEmpty && total + size > maxBytes { return result }
                        result.append(try take(Array(chunk[local..<(local + size)]), segment, position + local))
                        total += size
                    }
                    expected = last + 1
                    local += size
                }
                guard local > 0 else {
                    throw damaged(segment, at: position, "incomplete batch header")
                }
                position += local
                if total >= maxBytes { return result }
            }
        }
        return result
    }

    func damaged(_ segment: Segment, at position: Int, _ reason: String) -> LogError {
        state = .readOnly(reason: "damaged batch in \(segment.path) at byte \(position): \(reason)")
        return LogError(.corruptBatch, "damaged batch, not served: \(reason)", location: location(segment.path, position))
    }

    /// The first offset whose record's timestamp is at or after `timestamp` (Kafka's ListOffsets by
    /// time), or nil when every visible record is older.
    public func offset(forTimestamp timestamp: Int64) throws(LogError) -> Int64? {
        try unpark()
        for segment in segments where segment.index.maxTimestamp >= timestamp && segment.baseOffset < durableNextOffset {
            var from = segment.index.firstCandidate(forTimestamp: timestamp, segmentBase: segment.baseOffset)
            while from < min(segment.nextOffset, durableNextOffset) {
                let batches = try read(from: from, maxBytes: 256 * 1024)
                guard !batches.isEmpty else { break }
                for batch in batches where batch.maxTimestamp >= timestamp && batch.lastOffset >= from {
                    for (offset, record) in batch.recordsWithOffsets where record.timestamp >= timestamp && offset >= from {
                        return offset
                    }
                }
                from = batches.last!.lastOffset + 1
            }
        }
        return nil
    }

    // MARK: - Retention

    /// Deletes whole old segments (never the active one) whose newest record is older than
    /// `retentionMs` before `now`, or while the partition is larger than `retentionBytes` without them
    /// (-1 disables either rule). Returns the removed files.
    @discardableResult
    public func enforceRetention(now: Int64, retentionMs: Int64, retentionBytes: Int64) throws(LogError) -> [String] {
        var removed: [String] = []
        while segments.count > 1 {
            let oldest = segments[0]
            let tooOld = retentionMs >= 0 && oldest.index.maxTimestamp < now - retentionMs
            let tooBig = retentionBytes >= 0 && Int64(size - oldest.size) >= retentionBytes
            guard tooOld || tooBig else { break }
            if !isParked { lease.close([oldest.handle]) }
            try files.remove(baseOffset: oldest.baseOffset, fs)
            segments.removeFirst()
            removed.append(oldest.path)
        }
        if !removed.isEmpty { try fs.syncDirectory(directory) }
        return removed
    }
}
