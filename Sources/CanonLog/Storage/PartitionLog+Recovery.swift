import Foundation

/// Opening a partition: the recovery checkpoint, index files loaded or rebuilt, the scan from the
/// checkpoint on, torn tails and damage.
extension PartitionLog {
    /// Recovers the partition's segments (see ``init(directory:fileSystem:configuration:cleanShutdown:repair:)``):
    /// the initializer's work, once.
    func recoverOnOpen(cleanShutdown: Bool, repair: Bool) throws(LogError) {
        precondition(segments.isEmpty, "a partition log is recovered once, when it is opened")
        try fs.createDirectory(directory)
        let bases = try files.baseOffsets(fs)
        var checkpoint: RecoveryCheckpoint?
        if !repair, fs.fileExists(checkpointPath) {
            checkpoint = RecoveryCheckpoint(String(decoding: try fs.readAll(checkpointPath), as: UTF8.self))
            if checkpoint == nil {
                recoveryNotes.append("ignored an unreadable recovery checkpoint in \(directory); scanning every segment")
            }
        }
        if let c = checkpoint, !bases.contains(c.baseOffset) {
            recoveryNotes.append("ignored a recovery checkpoint naming a missing segment \(c.baseOffset); scanning every segment")
            checkpoint = nil
        }
        if let c = checkpoint {
            let h = try fs.open(files.logPath(baseOffset: c.baseOffset), create: false)
            let length = try fs.size(h)
            fs.close(h)
            if c.position > length {
                recoveryNotes.append(
                    "ignored a recovery checkpoint at byte \(c.position) of a \(length)-byte segment; scanning every segment")
                checkpoint = nil
            }
        }
        let trusted = cleanShutdown && checkpoint != nil && checkpoint!.baseOffset == bases.last
        var expected: Int64?
        for (i, base) in bases.enumerated() {
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
                if !loadIndexes(&segment, limit: nil) {
                    guard try recover(&segment, from: 0, expected: expected ?? base, isLast: false, repair: false, laterBases: []) else {
                        segments.append(segment)
                        finishOpen()
                        return
                    }
                    try rewriteSealedIndexes(&segment)
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
                if !(trusted && isLast) || segment.size == 0 && c.position > 0 {
                    guard
                        try recover(
                            &segment, from: segment.size, expected: segment.nextOffset, isLast: isLast, repair: false,
                            laterBases: Array(bases[(i + 1)...]))
                    else {
                        segments.append(segment)
                        finishOpen()
                        return
                    }
                }
            } else {
                guard
                    try recover(
                        &segment, from: 0, expected: expected ?? base, isLast: isLast, repair: repair,
                        laterBases: Array(bases[(i + 1)...]))
                else {
                    segments.append(segment)
                    if repair { break }
                    finishOpen()
                    return
                }
                if !isLast { try rewriteSealedIndexes(&segment) }
            }
            expected = segment.nextOffset
            segments.append(segment)
        }
        if segments.isEmpty { try roll(at: 0) }
        finishOpen()
        // The first flush writes a checkpoint at the recovered end, unless the loaded one is already there.
        checkpointPosition = trusted ? segments.last!.size : -1
        lastCheckpoint = trusted ? checkpoint : nil
    }

    /// Writes the index files of a sealed segment whose indexes a scan rebuilt.
    func rewriteSealedIndexes(_ segment: inout Segment) throws(LogError) {
        segment.index.appendTimeEntry(segmentBase: segment.baseOffset, lastOffset: segment.nextOffset - 1)
        segment.offsetEntriesOnDisk = 0
        segment.timeEntriesOnDisk = 0
        try persistIndexes(&segment, sync: true)
    }

    func finishOpen() {
        nextOffset = segments.last?.nextOffset ?? 0
        durableNextOffset = nextOffset
        syncedNextOffset = nextOffset
        if let active = segments.last { syncedPosition = active.size }
    }

    /// Scans `segment` from `position`, rebuilding its indexes; truncates a torn tail of the last segment;
    /// marks the partition read-only at damage (or, with `repair`, cuts it off with every later segment).
    /// Returns false when the partition stops here (damage).
    func recover(_ segment: inout Segment, from position: Int, expected: Int64?, isLast: Bool, repair: Bool, laterBases: [Int64])
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
        case .tornTail(let at, let reason) where isLast:
            try fs.truncate(segment.handle, to: at)
            try fs.sync(segment.handle)
            segment.allocated = at
            recoveryNotes.append("truncated a torn tail of \(bytes.count + position - at) byte(s) at \(segment.path) byte \(at): \(reason)")
            return true
        case .tornTail(let at, let reason), .corruption(let at, let reason, _):
            guard repair else {
                state = .readOnly(reason: "damaged batch in \(segment.path) at byte \(at): \(reason)")
                recoveryNotes.append("read-only: damaged batch in \(segment.path) at byte \(at): \(reason)")
                return false
            }
            try fs.truncate(segment.handle, to: at)
            try fs.sync(segment.handle)
            segment.allocated = at
            recoveryNotes.append(
                "repaired: truncated \(segment.path) at byte \(at) (\(bytes.count + position - at) byte(s) removed): \(reason)")
            for later in laterBases {
                try files.remove(baseOffset: later, fs)
                recoveryNotes.append("repaired: removed \(files.logPath(baseOffset: later)), which followed the damage")
            }
            try fs.syncDirectory(directory)
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
