import Foundation

/// Opening a partition: the recovery checkpoint, index files loaded or rebuilt, the scan from the
/// checkpoint on, torn tails and damage.
extension PartitionLog {
    /// Recovers the partition's segments (see ``init(directory:fileSystem:configuration:cleanShutdown:repair:mustExist:)``):
    /// the initializer's work, once.
    func recoverOnOpen(cleanShutdown: Bool, repair: Bool, mustExist: Bool, recordedEnd: Int64) throws(LogError) {
        precondition(segments.isEmpty, "a partition log is recovered once, when it is opened")
        if mustExist && !repair && !fs.fileExists(directory) {
            damaged(from: 0, acknowledged: nil, "the partition directory \(directory) is missing: every record of the partition is lost")
            return
        }
        var startAt: Int64 = 0
        if mustExist && repair && !fs.fileExists(directory) {
            startAt = recordedEnd
            recoveryNotes.append(
                "repaired: recreated the missing partition directory \(directory) empty; its records are lost and its offsets "
                    + (recordedEnd > 0 ? "continue at \(recordedEnd)" : "restart at 0 (no end was recorded)"))
        }
        try fs.createDirectory(directory)
        try finishInterruptedCompaction()
        let markHandle = try fs.open(markPath, create: true)
        self.markHandle = markHandle
        if repair { try applyRepair() }
        let markBytes = try fs.read(markHandle, at: 0, count: AcknowledgedMark.size)
        let mark = AcknowledgedMark(markBytes)
        if mark == nil, markBytes.contains(where: { $0 != 0 }) {
            recoveryNotes.append("ignored an unreadable acknowledged mark in \(directory); the recovery checkpoint is the floor")
        }
        let bases = try files.baseOffsets(fs)
        let lost: [Int64: Int64]
        do {
            lost = try LostOffsets.read(directory: directory, fs)
        } catch  where error.code == .damaged {
            // Which gaps a repair made is unknown: this partition is damaged, the rest of the directory opens.
            damaged(from: 0, acknowledged: nil, error.description)
            return
        }
        var checkpoint: RecoveryCheckpoint?
        if fs.fileExists(checkpointPath) {
            checkpoint = RecoveryCheckpoint(String(decoding: try fs.readAll(checkpointPath), as: UTF8.self))
            if checkpoint == nil {
                recoveryNotes.append("ignored an unreadable recovery checkpoint in \(directory); scanning every segment")
            }
        }
        // The acknowledged floor: records below it were acknowledged as durable, and a log that ends
        // below it lost them (damage, never a torn tail).
        let floor = Self.acknowledgedFloor(mark: mark, checkpoint: checkpoint)
        // Without a mark (a format-1 directory, or a torn mark) the floor is a checkpoint's, possibly far
        // behind what was acknowledged: bad bytes followed by valid batches are then damage, not a tail.
        let exact = mark != nil
        // A checkpoint naming a missing segment or more bytes than its segment has is not used for
        // the scan (everything is scanned), but it still counts for the floor: records it vouched for
        // that the scan does not find are reported missing.
        if let c = checkpoint, !bases.contains(c.baseOffset) {
            recoveryNotes.append(
                "the recovery checkpoint names a missing segment \(files.logPath(baseOffset: c.baseOffset)); scanning every segment")
            checkpoint = nil
        }
        if let c = checkpoint {
            let length = try Self.fileSize(files.logPath(baseOffset: c.baseOffset), fs)
            if c.position > length {
                recoveryNotes.append(
                    "\(files.logPath(baseOffset: c.baseOffset)) has \(length) bytes, its recovery checkpoint says \(c.position) are durable; scanning every segment"
                )
                checkpoint = nil
            }
        }
        let trusted = cleanShutdown && checkpoint != nil && checkpoint!.baseOffset == bases.last
        var expected: Int64?
        for (i, base) in bases.enumerated() {
            if let e = expected, e != base, lost[e] == base { expected = base }
            let path = files.logPath(baseOffset: base)
            let handle = try fs.open(path, create: false)
            let fileSize = try fs.size(handle)
            let isLast = i == bases.count - 1
            var segment = Segment(
                baseOffset: base, path: path, handle: handle, size: 0, allocated: fileSize, nextOffset: expected ?? base,
                rollTimestamp: -1, index: SegmentIndex(), offsetEntriesOnDisk: 0, timeEntriesOnDisk: 0)
            if let c = checkpoint, base < c.baseOffset {
                // Sealed: synced, trimmed and indexed when it was rolled.
                segment.size = fileSize
                segment.nextOffset = bases[i + 1]
                if lost[segment.nextOffset] == nil, let gap = lost.first(where: { $0.value == bases[i + 1] }) {
                    segment.nextOffset = gap.key
                }
                let sealedEnd = segment.nextOffset
                if !loadIndexes(&segment, limit: nil) {
                    guard try recover(&segment, from: 0, expected: expected ?? base, isLast: false, floor: floor, exact: exact) else {
                        segments.append(segment)
                        finishOpen()
                        return
                    }
                    guard segment.nextOffset == sealedEnd else {
                        // The whole segment is valid but ends early: records up to the next segment are gone.
                        segments.append(segment)
                        finishOpen()
                        damaged(
                            from: segment.nextOffset, acknowledged: floor,
                            "\(segment.path) ends at offset \(segment.nextOffset - 1); the next segment starts at \(sealedEnd)")
                        return
                    }
                    try rewriteSealedIndexes(&segment)
                } else if let problem = try checkTail(
                    segment, end: fileSize, nextOffset: segment.nextOffset, claimedBy: "the next segment's base offset")
                {
                    // A sealed segment cut short (or damaged at its end): its last records are missing.
                    stop(at: problem, in: segment, floor: floor)
                    return
                }
                segment.rollTimestamp = segment.index.times.first?.timestamp ?? -1
            } else if let c = checkpoint, base == c.baseOffset {
                segment.nextOffset = c.nextOffset
                segment.rollTimestamp = c.rollTimestamp
                segment.index.maxTimestamp = c.maxTimestamp
                segment.index.offsetOfMaxTimestamp = c.offsetOfMaxTimestamp
                segment.size = c.position
                if !loadIndexes(&segment, limit: (c.offsetEntries, c.timeEntries)) {
                    segment = Segment(
                        baseOffset: base, path: path, handle: handle, size: 0, allocated: fileSize, nextOffset: expected ?? base,
                        rollTimestamp: -1, index: SegmentIndex(), offsetEntriesOnDisk: 0, timeEntriesOnDisk: 0)
                }
                if segment.size > 0,
                    let problem = try checkTail(
                        segment, end: c.position, nextOffset: c.nextOffset, claimedBy: "the recovery checkpoint of \(segment.path)")
                {
                    stop(at: problem, in: segment, floor: floor)
                    return
                }
                if !(trusted && isLast) || segment.size == 0 && c.position > 0 {
                    guard
                        try recover(&segment, from: segment.size, expected: segment.nextOffset, isLast: isLast, floor: floor, exact: exact)
                    else {
                        segments.append(segment)
                        finishOpen()
                        return
                    }
                }
            } else {
                guard try recover(&segment, from: 0, expected: expected ?? base, isLast: isLast, floor: floor, exact: exact) else {
                    segments.append(segment)
                    finishOpen()
                    return
                }
                if !isLast { try rewriteSealedIndexes(&segment) }
            }
            expected = segment.nextOffset
            segments.append(segment)
        }
        if segments.isEmpty { try roll(at: startAt) }
        finishOpen()
        if nextOffset < floor {
            let end = segments.last.map { "\($0.path) ends at byte \($0.size)" } ?? "no segment is left"
            damaged(
                from: nextOffset, acknowledged: floor,
                "acknowledged records \(nextOffset) to \(floor - 1) are missing (\(end); the acknowledged mark says \(floor) records)")
            return
        }
        // The first flush writes a checkpoint at the recovered end, unless the loaded one is already there.
        checkpointPosition = trusted ? segments.last!.size : -1
        lastCheckpoint = trusted ? checkpoint : nil
    }

    /// Ends the open at a problem `checkTail` found: the segment is kept up to its valid batches and
    /// the partition is damaged from there.
    private func stop(at problem: (reason: String, validEnd: Int, reached: Int64), in segment: Segment, floor: Int64) {
        var segment = segment
        segment.size = problem.validEnd
        segment.nextOffset = problem.reached
        segments.append(segment)
        finishOpen()
        damaged(from: problem.reached, acknowledged: floor, problem.reason)
    }

    /// Checks the batches before byte `end` of a segment (from the last index entry below it): they
    /// must end exactly there, with `nextOffset`. Returns the problem (with where the valid batches end
    /// and the offset they reach), or nil. This catches a recovery checkpoint edited or damaged into
    /// naming more (or other) records than the segment holds, and a sealed segment cut short at a batch
    /// boundary, which no scan from the checkpoint on would see.
    func checkTail(_ segment: Segment, end: Int, nextOffset: Int64, claimedBy claim: String) throws(LogError) -> (
        reason: String, validEnd: Int, reached: Int64
    )? {
        let last = segment.index.offsets.last { Int($0.position) < end }
        let from = last.map { Int($0.position) } ?? 0
        let expected = segment.baseOffset + Int64(last?.relativeOffset ?? 0)
        let bytes = try fs.read(segment.handle, at: from, count: max(0, end - from))
        let scan = SegmentScan(bytes, expectedBaseOffset: expected, start: from)
        let reached = scan.nextOffset ?? expected
        if bytes.count < end - from {
            return (
                "\(segment.path) has \(from + bytes.count) bytes; \(claim) says \(end) (offsets up to \(nextOffset - 1))",
                scan.validEnd, min(reached, nextOffset)
            )
        }
        switch scan.ending {
        case .tornTail(let at, let reason), .corruption(let at, let reason, _):
            return ("damaged batch in \(segment.path) at byte \(at): \(reason) (below what \(claim) vouches for)", scan.validEnd, reached)
        case .clean:
            if scan.validEnd == end, reached == nextOffset { return nil }
        }
        return (
            "\(claim) says \(segment.path) ends at byte \(end) with offset \(nextOffset - 1); "
                + "its batches end at byte \(scan.validEnd), offset \(reached - 1)", scan.validEnd, min(reached, nextOffset)
        )
    }

    /// The suffix of an index file being rewritten whole (renamed over the index file once synced).
    static let indexRewriteSuffix = ".rewrite"

    /// Writes the index files of a sealed segment whose indexes were rebuilt (by a scan, or by a
    /// cleaning) whole: each to a temporary file, synced, then renamed over the old one, so that a crash
    /// leaves the old file, the new one, or none (rebuilt at the next open), never a partial one that
    /// looks sane.
    func rewriteSealedIndexes(_ segment: inout Segment) throws(LogError) {
        segment.index.appendTimeEntry(segmentBase: segment.baseOffset, lastOffset: segment.nextOffset - 1)
        for (suffix, bytes) in [
            (".index", SegmentIndex.encodeOffsets(segment.index.offsets[...])),
            (".timeindex", SegmentIndex.encodeTimes(segment.index.times[...])),
        ] {
            let temporary = segment.stem + suffix + Self.indexRewriteSuffix
            let h = try fs.open(temporary, create: true)
            defer { fs.close(h) }
            try fs.truncate(h, to: 0)
            try fs.write(h, bytes, at: 0)
            try fs.sync(h)
            try fs.rename(temporary, to: segment.stem + suffix)
        }
        try fs.syncDirectory(directory)
        segment.offsetEntriesOnDisk = segment.index.offsets.count
        segment.timeEntriesOnDisk = segment.index.times.count
    }

    func finishOpen() {
        nextOffset = segments.last?.nextOffset ?? 0
        durableNextOffset = nextOffset
        syncedNextOffset = nextOffset
        if let active = segments.last { syncedPosition = active.size }
    }

    /// Scans `segment` from `position`, rebuilding its indexes; truncates a torn tail of the last segment
    /// when everything below `floor` (the acknowledged records) is before it; marks the partition
    /// read-only at damage. Returns false when the partition stops here (damage).
    /// `exact`: the floor is the acknowledged mark's (then bad bytes above it are never-acknowledged
    /// writeback, cut like a torn tail).
    func recover(_ segment: inout Segment, from position: Int, expected: Int64?, isLast: Bool, floor: Int64, exact: Bool)
        throws(LogError) -> Bool
    {
        // Preallocated zeros after the data need no scan: find where the non-zero bytes end, keep some
        // slack (a valid batch may end in zero bytes), and scan up to there.
        let dataEnd = try endOfNonZeroBytes(segment.handle, from: position, to: segment.allocated)
        var scanEnd = dataEnd == position ? position : min(segment.allocated, dataEnd + 65_536)
        var bytes = try fs.read(segment.handle, at: position, count: max(0, scanEnd - position))
        var scan = SegmentScan(bytes, expectedBaseOffset: expected, start: position)
        // A valid batch may end in more zero bytes than the slack: when the scan stops at a batch whose
        // declared length runs past the window but fits in the file, widen the window to it and rescan.
        while case .tornTail(let at, _) = scan.ending, at - position + RecordBatch.logOverhead <= bytes.count {
            let declared = bytes.withUnsafeBytes { RecordBatch.totalSize(of: $0, at: at - position) ?? 0 }
            guard declared >= RecordBatch.headerSize, at + declared > scanEnd, at + declared <= segment.allocated else { break }
            scanEnd = min(segment.allocated, at + declared + 65_536)
            bytes = try fs.read(segment.handle, at: position, count: scanEnd - position)
            scan = SegmentScan(bytes, expectedBaseOffset: expected, start: position)
        }
        if position == 0 { segment.index = SegmentIndex() }
        segment.index.bytesSinceEntry = position - (segment.index.offsets.last.map { Int($0.position) } ?? 0)
        for entry in scan.entries {
            if segment.rollTimestamp < 0 { segment.rollTimestamp = entry.maxTimestamp }
            segment.index.add(entry, segmentBase: segment.baseOffset, interval: configuration.indexIntervalBytes)
        }
        segment.size = scan.validEnd
        segment.nextOffset = scan.nextOffset ?? (expected ?? segment.baseOffset)
        if !scan.entries.isEmpty || position == 0 {
            // The index files are rewritten from what the scan found.
            segment.offsetEntriesOnDisk = min(segment.offsetEntriesOnDisk, segment.index.offsets.count)
            segment.timeEntriesOnDisk = min(segment.timeEntriesOnDisk, segment.index.times.count)
        }
        switch scan.ending {
        case .clean:
            return true
        case .tornTail(let at, let reason) where isLast && segment.nextOffset >= floor,
            .corruption(let at, let reason, _) where isLast && segment.nextOffset >= floor && exact:
            // Everything from `at` on is above the acknowledged floor (had a later batch been
            // acknowledged, the floor would be past it): never acknowledged, so cut, even when a valid
            // batch follows the bad bytes (pages written back out of order before a power cut).
            try fs.truncate(segment.handle, to: at)
            try fs.sync(segment.handle)
            segment.allocated = at
            recoveryNotes.append("truncated a torn tail of \(bytes.count + position - at) byte(s) at \(segment.path) byte \(at): \(reason)")
            return true
        case .tornTail(let at, let reason), .corruption(let at, let reason, _):
            let below = segment.nextOffset < floor ? " (acknowledged records \(segment.nextOffset) to \(floor - 1) are behind it)" : ""
            damaged(from: segment.nextOffset, acknowledged: floor, "damaged batch in \(segment.path) at byte \(at): \(reason)\(below)")
            return false
        }
    }

    /// The position after the last non-zero byte of `from..<to` (`from` when all are zero), reading
    /// backwards in 1 MiB chunks.
    func endOfNonZeroBytes(_ handle: LogFileHandle, from: Int, to: Int) throws(LogError) -> Int {
        var end = to
        while end > from {
            let start = max(from, end - (1 << 20))
            let chunk = try fs.read(handle, at: start, count: end - start)
            let last = chunk.withUnsafeBytes { raw -> Int? in
                var i = raw.count
                while i >= 8, raw.loadUnaligned(fromByteOffset: i - 8, as: UInt64.self) == 0 { i -= 8 }
                while i > 0 {
                    if raw[i - 1] != 0 { return i }
                    i -= 1
                }
                return nil
            }
            if let last { return start + last }
            end = start
        }
        return from
    }

    /// Loads a segment's index files (the first `limit` entries of each); false when missing or not sane.
    func loadIndexes(_ segment: inout Segment, limit: (offsets: Int, times: Int)?) -> Bool {
        guard let offsetBytes = try? fs.readAll(segment.stem + ".index"), let timeBytes = try? fs.readAll(segment.stem + ".timeindex")
        else {
            if limit.map({ $0.offsets > 0 || $0.times > 0 }) ?? true {
                recoveryNotes.append("rebuilding the indexes of \(segment.path): index files missing")
            }
            return limit.map { $0.offsets == 0 && $0.times == 0 } ?? false
        }
        let o = limit.map { Array(offsetBytes.prefix($0.offsets * 8)) } ?? offsetBytes
        let t = limit.map { Array(timeBytes.prefix($0.times * 12)) } ?? timeBytes
        guard let decoded = SegmentIndex.decode(offsets: o, times: t, segmentSize: max(segment.size, 1)),
            limit.map({ decoded.offsets.count == $0.offsets && decoded.times.count == $0.times }) ?? true,
            decoded.offsets.allSatisfy({ segment.baseOffset + Int64($0.relativeOffset) < segment.nextOffset })
        else {
            recoveryNotes.append("rebuilding the indexes of \(segment.path): index files are not sane")
            return false
        }
        segment.index.offsets = decoded.offsets
        segment.index.times = decoded.times
        segment.offsetEntriesOnDisk = decoded.offsets.count
        segment.timeEntriesOnDisk = decoded.times.count
        if limit == nil {
            segment.index.maxTimestamp = decoded.times.last?.timestamp ?? -1
            segment.index.offsetOfMaxTimestamp = decoded.times.last.map { segment.baseOffset + Int64($0.relativeOffset) } ?? -1
        }
        segment.index.bytesSinceEntry = segment.size - (decoded.offsets.last.map { Int($0.position) } ?? 0)
        return true
    }
}
