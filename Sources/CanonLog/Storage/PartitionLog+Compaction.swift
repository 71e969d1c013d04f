/// Compaction's side on the I/O thread: which segments a cleaning takes, swapping its cleaned segments
/// in, the cleaner checkpoint, and finishing a swap a crash interrupted.
///
/// The swap is crash-safe in three steps: the cleaner's `<base>.log.cleaned` files are synced; they are
/// renamed to `<base>.log.swap` and the directory synced (from here the cleaning counts); the segments
/// they replace are removed and each `.swap` renamed to `<base>.log`. Recovery removes `.cleaned`
/// files and finishes any `.swap` (``finishInterruptedCompaction()``), so a crash leaves either the old
/// segments or the cleaned ones, and offsets, the acknowledged mark and the active segment never change.
extension PartitionLog {
    /// The cleaner checkpoint's file name in a partition directory.
    public static let cleanerCheckpointFileName = "cleaner-checkpoint"
    static let cleanerCheckpointHeader = "canon-cleaner-checkpoint 1"

    var cleanerCheckpointPath: String { "\(directory)/\(Self.cleanerCheckpointFileName)" }

    /// The first offset not cleaned yet: the cleaner checkpoint's, within the stored offsets.
    func firstDirtyOffset() -> Int64 {
        if cleanedThrough == nil {
            let text = (try? fs.readAll(cleanerCheckpointPath)).map { String(decoding: $0, as: UTF8.self) }
            cleanedThrough =
                text.flatMap { SmallFile.keyValues($0, header: Self.cleanerCheckpointHeader)?["first-dirty-offset"] }
                .flatMap { Int64($0) } ?? 0
        }
        return min(max(cleanedThrough!, startOffset), nextOffset)
    }

    /// A cleaning of this partition's sealed segments, when one is due: their dirty share (bytes written
    /// since the last cleaning) is at least `minimumDirtyRatio` (any share when `force`). Segments with
    /// records newer than `minimumLagMs` are left for later. Nil when nothing is dirty, a cleaning is
    /// running, or the partition is read-only.
    func compactionJob(now: Int64, configuration topic: TopicConfiguration, force: Bool) -> CompactionJob? {
        guard cleaning == nil, damage == nil, state == .writable, segments.count > 1, force || now >= compactionRetryAt else { return nil }
        let firstDirty = firstDirtyOffset()
        let lagLimit = now.subtractingReportingOverflow(topic.minCompactionLagMs).partialValue
        let cleanable = segments.dropLast().prefix { $0.index.maxTimestamp <= lagLimit }
        let dirtyBytes = cleanable.filter { $0.baseOffset >= firstDirty }.reduce(0) { $0 + $1.size }
        let totalBytes = cleanable.reduce(0) { $0 + $1.size }
        guard dirtyBytes > 0 || force && cleanable.contains(where: { $0.baseOffset >= firstDirty }) else { return nil }
        guard force || Double(dirtyBytes) >= topic.minCleanableDirtyRatio * Double(totalBytes) else { return nil }
        let token = CompactionToken()
        cleaning = token
        return CompactionJob(
            directory: directory, fs: fs, generation: generation,
            sources: cleanable.map { .init(baseOffset: $0.baseOffset, path: $0.path, size: $0.size, nextOffset: $0.nextOffset) },
            firstDirtyOffset: firstDirty, now: now, deleteRetentionMs: topic.deleteRetentionMs, segmentBytes: topic.segmentBytes,
            token: token)
    }

    /// Swaps a finished cleaning's segments in (see the type's comment), when the segments it read are
    /// still there unchanged; otherwise (retention removed one, the partition changed) its files are
    /// dropped and nil returned. A failure after the swap's commit point makes the partition read-only
    /// until it is opened again (recovery finishes the swap).
    func applyCompaction(_ output: CompactionOutput) throws(LogError) -> CompactionReport? {
        cleaning = nil
        let job = output.job
        let current = segments.dropLast()
        let unchanged =
            job.generation == generation && state == .writable
            && job.sources.allSatisfy { source in
                current.contains { $0.baseOffset == source.baseOffset && $0.size == source.size && $0.nextOffset == source.nextOffset }
            }
        guard unchanged else {
            output.discard()
            return nil
        }
        do {
            try unpark()
        } catch {
            output.discard()
            throw error
        }
        // A recovery checkpoint that names a segment being replaced would be read against the cleaned
        // one: it goes first (recovery then scans every segment, until the next checkpoint).
        let replacedBases = Set(output.groups.flatMap(\.replaced))
        var onDisk = lastCheckpoint
        if onDisk == nil, fs.fileExists(checkpointPath) {
            do {
                // An unreadable checkpoint is not trusted by recovery anyway; one that cannot be read now
                // stops the cleaning (it might name a replaced segment).
                onDisk = RecoveryCheckpoint(String(decoding: try fs.readAll(checkpointPath), as: UTF8.self))
            } catch {
                output.discard()
                throw error
            }
        }
        if let named = onDisk?.baseOffset, replacedBases.contains(named) {
            do {
                try fs.remove(checkpointPath)
                lastCheckpoint = nil
                checkpointPosition = -1
                try fs.syncDirectory(directory)
            } catch {
                output.discard()
                throw error
            }
        }
        var swapped: [String] = []
        do {
            for group in output.groups {
                let swap = String(group.path.dropLast(Compactor.cleanedSuffix.count)) + Compactor.swapSuffix
                try fs.rename(group.path, to: swap)
                swapped.append(swap)
            }
            try fs.syncDirectory(directory)
        } catch {
            // Not committed: take the swap files back, or stop writing if that fails too (recovery would
            // otherwise finish them).
            do {
                for swap in swapped { try fs.remove(swap) }
                output.discard()
                try fs.syncDirectory(directory)
            } catch {
                state = .readOnly(
                    reason: "a compaction could not take back its swap files (\(error.message)); reopening the partition finishes it")
            }
            throw error
        }
        // Committed: from here on recovery finishes the swap. The replaced segments go first (durably),
        // then each swap file takes its segment's name: a crash never leaves old and cleaned segments
        // that overlap. The replaced segments' files stay open until they are out of `segments`.
        var retired: [LogFileHandle] = []
        defer { lease.close(retired) }
        do {
            for group in output.groups {
                for segment in segments where group.replaced.contains(segment.baseOffset) {
                    for suffix in [".index", ".timeindex"] where fs.fileExists(segment.stem + suffix) {
                        try fs.remove(segment.stem + suffix)
                    }
                    if segment.baseOffset != group.baseOffset { try fs.remove(segment.path) }
                }
            }
            try fs.syncDirectory(directory)
            for group in output.groups {
                let path = files.logPath(baseOffset: group.baseOffset)
                try fs.rename(path + Compactor.swapSuffix, to: path)
            }
            try fs.syncDirectory(directory)
            for group in output.groups {
                let path = files.logPath(baseOffset: group.baseOffset)
                let handle = try fs.open(path, create: false)
                var segment = Segment(
                    baseOffset: group.baseOffset, path: path, handle: handle, size: group.size, allocated: group.size,
                    nextOffset: group.nextOffset, rollTimestamp: group.entries.first?.maxTimestamp ?? -1, index: SegmentIndex(),
                    offsetEntriesOnDisk: 0, timeEntriesOnDisk: 0)
                for entry in group.entries {
                    segment.index.add(entry, segmentBase: group.baseOffset, interval: configuration.indexIntervalBytes)
                }
                let first = segments.firstIndex { group.replaced.contains($0.baseOffset) }!
                retired += segments.filter { group.replaced.contains($0.baseOffset) }.map(\.handle)
                segments.removeAll { group.replaced.contains($0.baseOffset) }
                segments.insert(segment, at: first)
                try rewriteSealedIndexes(&segments[first])
            }
        } catch {
            state = .readOnly(reason: "a compaction swap failed (\(error.message)); reopening the partition finishes it")
            keepsFilesOpen = true
            throw error
        }
        // A cleaner checkpoint that is not written only makes the next cleaning redo this one.
        try? writeCleanerCheckpoint(output.report.cleanedThrough)
        return output.report
    }

    func writeCleanerCheckpoint(_ offset: Int64) throws(LogError) {
        try SmallFile.writeDurably(
            SmallFile.text(header: Self.cleanerCheckpointHeader, [("first-dirty-offset", String(offset))]), to: cleanerCheckpointPath,
            fileSystem: fs)
        cleanedThrough = offset
    }

    /// Recovery's first step: removes a cleaning's `.cleaned` files (it had not committed) and index files
    /// a crash left half rewritten, and finishes a swap that had committed (each `.swap` replaces the
    /// segments whose base offsets it covers).
    func finishInterruptedCompaction() throws(LogError) {
        let names = try fs.contentsOfDirectory(directory)
        for name in names where name.hasSuffix(".log" + Compactor.cleanedSuffix) || name.hasSuffix(Self.indexRewriteSuffix) {
            try fs.remove("\(directory)/\(name)")
        }
        let swaps = names.filter { $0.hasSuffix(".log" + Compactor.swapSuffix) }.compactMap { Int64($0.prefix(20)) }.sorted()
        guard !swaps.isEmpty else { return }
        for base in swaps {
            let swap = files.logPath(baseOffset: base) + Compactor.swapSuffix
            let scan = SegmentScan(try fs.readAll(swap), expectedBaseOffset: base)
            guard scan.ending == .clean, let next = scan.nextOffset else {
                // A synced swap file that does not scan is damage; keep the old segment when it is there.
                if fs.fileExists(files.logPath(baseOffset: base)) {
                    try fs.remove(swap)
                    recoveryNotes.append("dropped an unreadable compaction swap file \(swap); the segments it would replace are kept")
                    continue
                }
                recoveryNotes.append("finishing a compaction swap whose file \(swap) does not scan cleanly; recovery checks it")
                try fs.rename(swap, to: files.logPath(baseOffset: base))
                continue
            }
            // The replaced segments go durably first; the swap file then takes the first one's name.
            // Only a swap that starts at a segment and ends where a segment starts (or at the log's end)
            // was committed over these segments; anything else is a leftover, dropped.
            let bases = try files.baseOffsets(fs)
            // The next segment may start after offsets a repair dropped (`lost-offsets`).
            let resumes = (try? LostOffsets.read(directory: directory, fs))?[next]
            guard bases.contains(base), bases.contains(next) || resumes.map(bases.contains) == true || bases.allSatisfy({ $0 < next })
            else {
                try fs.remove(swap)
                recoveryNotes.append("dropped a compaction swap file \(swap) that does not match the segments")
                continue
            }
            for old in bases where old > base && old < next { try files.remove(baseOffset: old, fs) }
            let stem = files.stem(baseOffset: base)
            for suffix in [".index", ".timeindex"] where fs.fileExists(stem + suffix) { try fs.remove(stem + suffix) }
            try fs.syncDirectory(directory)
            try fs.rename(swap, to: files.logPath(baseOffset: base))
            recoveryNotes.append(
                "finished an interrupted compaction: \(files.logPath(baseOffset: base)) now holds offsets \(base) to \(next - 1)")
        }
        try fs.syncDirectory(directory)
    }
}
