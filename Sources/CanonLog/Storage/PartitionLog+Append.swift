import Foundation

/// Appending: batches written to the active segment, rolls (seal, new segment), index files, and
/// taking back appends that were not published.
extension PartitionLog {
    func roll(at base: Int64) throws(LogError) {
        let path = files.logPath(baseOffset: base)
        let handle = try fs.open(path, create: true)
        var segment = Segment(
            baseOffset: base, path: path, handle: handle, size: 0, allocated: 0, nextOffset: base, rollTimestamp: -1,
            index: SegmentIndex(), offsetEntriesOnDisk: 0, timeEntriesOnDisk: 0)
        do {
            for suffix in [".index", ".timeindex"] {
                let h = try fs.open(segment.stem + suffix, create: true)
                defer { fs.close(h) }
                try fs.truncate(h, to: 0)
            }
            try fs.syncDirectory(directory)
        } catch {
            // No half-made segment is left behind: the active segment stays the last one.
            fs.close(handle)
            files.removeWhatCanBeRemoved(baseOffset: base, fs)
            throw error
        }
        segment.allocated = 0
        segments.append(segment)
        syncedPosition = 0
        checkpointPosition = -1
    }

    /// Seals the active segment before a roll: syncs its data, writes its final time entry and index
    /// files (synced), and gives back its preallocated space.
    func sealActive() throws(LogError) {
        var active = segments[segments.count - 1]
        do {
            try fs.sync(active.handle)
        } catch {
            state = .readOnly(reason: "fdatasync failed: \(error.message)")
            throw error
        }
        syncedNextOffset = nextOffset
        syncedPosition = active.size
        active.index.appendTimeEntry(segmentBase: active.baseOffset, lastOffset: active.nextOffset - 1)
        try persistIndexes(&active, sync: true)
        if active.allocated > active.size {
            try fs.truncate(active.handle, to: active.size)
            try fs.sync(active.handle)
            active.allocated = active.size
        }
        segments[segments.count - 1] = active
    }

    /// Writes index entries not yet in the segment's index files.
    func persistIndexes(_ segment: inout Segment, sync: Bool) throws(LogError) {
        for (suffix, isOffsets) in [(".index", true), (".timeindex", false)] {
            let onDisk = isOffsets ? segment.offsetEntriesOnDisk : segment.timeEntriesOnDisk
            let count = isOffsets ? segment.index.offsets.count : segment.index.times.count
            guard onDisk != count || sync else { continue }
            let h = try fs.open(segment.stem + suffix, create: true)
            defer { fs.close(h) }
            let width = isOffsets ? 8 : 12
            let fileSize = try fs.size(h)
            if onDisk > count || fileSize != onDisk * width { try fs.truncate(h, to: min(onDisk, count) * width) }
            let from = min(onDisk, count)
            if from < count {
                let bytes =
                    isOffsets
                    ? SegmentIndex.encodeOffsets(segment.index.offsets[from...]) : SegmentIndex.encodeTimes(segment.index.times[from...])
                try fs.write(h, bytes, at: from * width)
            }
            if sync { try fs.sync(h) }
            if isOffsets { segment.offsetEntriesOnDisk = count } else { segment.timeEntriesOnDisk = count }
        }
    }

    /// Appends one batch of records; returns the first and last offsets. Not durable or visible until
    /// `flush()`. A failed write is cut back and fails this append only.
    /// A batch larger than `maxBatchBytes` (the topic's `max.message.bytes`) is refused whole.
    @discardableResult
    public func append(_ records: [LogRecord], maxBatchBytes: Int = Int.max, producer: ProducerFields? = nil) throws(LogError)
        -> ClosedRange<Int64>
    {
        precondition(!records.isEmpty, "append at least one record")
        if let error = readOnlyError() { throw error }
        let batch = RecordBatch(baseOffset: nextOffset, records: records, producer: producer)
        let bytes = batch.encoded()
        return try append(
            bytes,
            RecordBatch.Summary(
                baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp, size: bytes.count),
            maxBatchBytes: maxBatchBytes)
    }

    /// Appends a batch encoded by the producer, stamping its base offset.
    @discardableResult
    public func append(_ prepared: PreparedBatch, maxBatchBytes: Int = Int.max) throws(LogError) -> ClosedRange<Int64> {
        if let error = readOnlyError() { throw error }
        var bytes = prepared.bytes
        bytes.setBigEndian(nextOffset, at: 0)
        let summary = RecordBatch.Summary(
            baseOffset: nextOffset, lastOffset: nextOffset + Int64(prepared.count - 1), maxTimestamp: prepared.maxTimestamp,
            size: bytes.count)
        return try append(bytes, summary, maxBatchBytes: maxBatchBytes)
    }

    /// Appends one encoded batch (checked: CRC, lengths) whose base offset is `nextOffset` (see
    /// ``append(_:maxBatchBytes:)``).
    @discardableResult
    public func append(encoded bytes: [UInt8], maxBatchBytes: Int = Int.max) throws(LogError) -> ClosedRange<Int64> {
        let checked = bytes.withUnsafeBytes { (raw) -> Result<RecordBatch.Summary, LogError> in
            do throws(LogError) { return .success(try RecordBatch.summary(of: raw)) } catch { return .failure(error) }
        }
        let summary = try checked.get()
        guard summary.baseOffset == nextOffset else {
            throw LogError(
                .corruptBatch, "the batch starts at offset \(summary.baseOffset), the partition's next offset is \(nextOffset)",
                location: location())
        }
        return try append(bytes, summary, maxBatchBytes: maxBatchBytes)
    }

    func append(_ bytes: [UInt8], _ summary: RecordBatch.Summary, maxBatchBytes: Int) throws(LogError) -> ClosedRange<Int64> {
        try unpark()
        if let error = readOnlyError() { throw error }
        guard bytes.count <= maxBatchBytes else {
            throw LogError(
                .recordTooLarge, "batch of \(bytes.count) bytes exceeds max.message.bytes \(maxBatchBytes)", location: location())
        }
        if let active = segments.last, !active.isEmpty,
            active.size + bytes.count > configuration.segmentBytes
                || summary.maxTimestamp.subtractingReportingOverflow(active.rollTimestamp).partialValue >= configuration.segmentMs
                    && active.rollTimestamp <= summary.maxTimestamp
                || summary.lastOffset - active.baseOffset > Int64(UInt32.max)
        {
            try sealActive()
            try roll(at: nextOffset)
        }
        // Taken out of the array while it changes: a copy would share the index's storage and make
        // every append copy it (copy-on-write), which grows with the segment.
        var active = segments.removeLast()
        defer { segments.append(active) }
        do {
            if configuration.preallocationBytes > 0, active.size + bytes.count > active.allocated {
                // In proportion: the step doubles with the segment's size (at least 64 KiB, at most
                // `preallocationBytes`), so a partition with a few small batches takes kilobytes, not
                // the full step, while a busy one still grows in large steps.
                let step = min(max(64 << 10, active.size), configuration.preallocationBytes, configuration.segmentBytes)
                try fs.preallocate(active.handle, to: active.size + bytes.count + step)
                active.allocated = active.size + bytes.count + step
            }
            try fs.write(active.handle, bytes, at: active.size)
        } catch {
            // Cut back what may have been written; if even that fails, stop taking appends.
            do {
                try fs.truncate(active.handle, to: active.size)
                active.allocated = active.size
            } catch {
                state = .readOnly(reason: "could not cut back a failed write: \(error.message)")
            }
            throw error
        }
        let entry = SegmentScan.Entry(
            position: active.size, size: bytes.count, baseOffset: summary.baseOffset, lastOffset: summary.lastOffset,
            maxTimestamp: summary.maxTimestamp)
        if active.rollTimestamp < 0 { active.rollTimestamp = summary.maxTimestamp }
        active.index.add(entry, segmentBase: active.baseOffset, interval: configuration.indexIntervalBytes)
        pending.append((active.baseOffset, active.size, summary.baseOffset))
        active.size += bytes.count
        active.nextOffset = summary.lastOffset + 1
        nextOffset = summary.lastOffset + 1
        return summary.baseOffset...summary.lastOffset
    }

    /// Removes batches appended from `offset` on that are not published yet (an append that failed on
    /// another partition is taken back whole). Published data is never touched.
    public func rollBack(to offset: Int64) throws(LogError) {
        try unpark()
        // Bytes a sync made durable stay (their mark may have reached the disk): never below them.
        let offset = max(offset, syncedNextOffset)
        guard offset >= durableNextOffset else {
            throw LogError(
                .io, "cannot roll back to offset \(offset): records up to \(durableNextOffset) are already durable", location: location())
        }
        do {
            try takeBack(to: offset)
        } catch {
            // What was taken back is unknown now: no more appends (or syncs) until recovery.
            state = .readOnly(reason: "could not take back a failed append: \(error.message)")
            throw error
        }
    }

    func takeBack(to offset: Int64) throws(LogError) {
        while let last = pending.last, last.offset >= offset {
            pending.removeLast()
            while let active = segments.last, active.baseOffset > last.segment {
                // A segment rolled for the taken-back batches: remove it, the previous one is active again.
                lease.close([active.handle])
                try files.remove(baseOffset: active.baseOffset, fs)
                segments.removeLast()
                try fs.syncDirectory(directory)
                syncedPosition = segments.last?.size ?? 0
                checkpointPosition = -1
            }
            var active = segments[segments.count - 1]
            try fs.truncate(active.handle, to: last.position)
            active.allocated = last.position
            active.size = last.position
            active.nextOffset = last.offset
            active.index.truncate(toPosition: last.position, offset: last.offset, segmentBase: active.baseOffset)
            active.offsetEntriesOnDisk = min(active.offsetEntriesOnDisk, active.index.offsets.count)
            active.timeEntriesOnDisk = min(active.timeEntriesOnDisk, active.index.times.count)
            if active.isEmpty { active.rollTimestamp = -1 }
            segments[segments.count - 1] = active
            syncedPosition = min(syncedPosition, active.size)
        }
        nextOffset = offset
        syncedNextOffset = min(syncedNextOffset, offset)
        if checkpointPosition < 0 { try writeCheckpoint() }
    }

    /// Closes the files and removes the segments and the directory (deleting a topic).
    public func removeFiles() throws(LogError) {
        cleaning?.cancelAndWait()
        cleaning = nil
        lease.close(openHandles)
        isParked = true  // nothing left to close
        markHandle = nil
        segments = []
        // Every file, also segments a read-only partition never loaded (past its damage).
        for name in try fs.contentsOfDirectory(directory) { try fs.remove("\(directory)/\(name)") }
        try fs.removeDirectory(directory)
        state = .readOnly(reason: "deleted")
    }
}
