import CanonCore
import Foundation

/// One partition's log on disk: segments of record batches named by base offset, each with a sparse
/// offset index and a time index, recovered on open.
///
/// This is the synchronous core that the engine drives from its I/O thread (group commit, the flush
/// policies and concurrency sit above it). Appends are not visible to readers until `flush()` (or
/// `publishWithoutSync()`) made them so; a failed write is cut back and fails that append only; a failed
/// flush puts the partition in a failed, read-only state until it is opened again (and recovered).
///
/// Files in the partition directory:
/// - `<base offset, 20 digits>.log`, `.index`, `.timeindex`: the segments (see ``SegmentIndex``). The
///   active segment is preallocated ahead of its writes; zeros after the last batch are its normal end.
/// - `recovery-checkpoint`: the active segment and a byte position up to which its data and index files
///   are durable. Segments before it are sealed (synced and trimmed when rolled); recovery scans only from
///   the checkpoint on. With a clean shutdown (``close()`` and the directory's marker) nothing is scanned.
public final class PartitionLog {
    /// Settings of the partition's topic that the storage layer uses.
    public struct Configuration: Sendable, Hashable {
        /// Roll to a new segment when the active one would grow past this (Kafka's `segment.bytes`).
        public var segmentBytes: Int
        /// Roll when a batch's newest timestamp is this much later than the segment's first batch's
        /// (Kafka's `segment.ms`, compared on record timestamps as Kafka does).
        public var segmentMs: Int64
        /// Kafka's `index.interval.bytes`: bytes of batches between two index entries.
        public var indexIntervalBytes: Int
        /// Disk space reserved ahead of the active segment's writes, in steps of this (capped at
        /// `segmentBytes`); 0 grows files as they are written.
        public var preallocationBytes: Int
        /// Write a recovery checkpoint after this many bytes were made durable since the last one.
        public var checkpointIntervalBytes: Int

        public init(
            segmentBytes: Int = 1 << 30, segmentMs: Int64 = 604_800_000, indexIntervalBytes: Int = 4096,
            preallocationBytes: Int = 16 << 20, checkpointIntervalBytes: Int = 64 << 20
        ) {
            self.segmentBytes = segmentBytes
            self.segmentMs = segmentMs
            self.indexIntervalBytes = indexIntervalBytes
            self.preallocationBytes = preallocationBytes
            self.checkpointIntervalBytes = checkpointIntervalBytes
        }
    }

    /// Whether the partition takes appends.
    public enum State: Sendable, Equatable {
        case writable
        /// Acknowledged data is damaged, or a flush failed: reads up to the damage only, no appends.
        case readOnly(reason: String)
    }

    struct Segment {
        var baseOffset: Int64
        var path: String
        var handle: LogFileHandle
        /// The end of the last batch.
        var size: Int
        /// The file's length on disk (at least `size`; more when preallocated).
        var allocated: Int
        /// The offset after the segment's last batch.
        var nextOffset: Int64
        /// The first batch's newest timestamp (for `segment.ms`), -1 when empty.
        var rollTimestamp: Int64
        var index: SegmentIndex
        /// How many index entries are in the index files.
        var offsetEntriesOnDisk: Int
        var timeEntriesOnDisk: Int

        var stem: String { String(path.dropLast(4)) }
        var isEmpty: Bool { size == 0 }
    }

    /// The recovery checkpoint: up to `position` in the segment `baseOffset`, data and index files are
    /// durable; the next batch there gets `nextOffset`.
    struct Checkpoint: Equatable {
        var baseOffset: Int64
        var position: Int
        var nextOffset: Int64
        var rollTimestamp: Int64
        var maxTimestamp: Int64
        var offsetOfMaxTimestamp: Int64
        var offsetEntries: Int
        var timeEntries: Int

        static let header = "canon-recovery-checkpoint 1"

        var text: String {
            [
                Self.header, "base-offset=\(baseOffset)", "position=\(position)", "next-offset=\(nextOffset)",
                "roll-timestamp=\(rollTimestamp)", "max-timestamp=\(maxTimestamp)", "max-timestamp-offset=\(offsetOfMaxTimestamp)",
                "offset-index-entries=\(offsetEntries)", "time-index-entries=\(timeEntries)",
            ].joined(separator: "\n") + "\n"
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

        init?(_ text: String) {
            let lines = text.split(separator: "\n")
            guard lines.first == Substring(Self.header) else { return nil }
            var values: [String: Int64] = [:]
            for line in lines.dropFirst() {
                guard let eq = line.firstIndex(of: "="), let v = Int64(line[line.index(after: eq)...]) else { return nil }
                values[String(line[..<eq])] = v
            }
            guard let base = values["base-offset"], let position = values["position"], let next = values["next-offset"],
                let roll = values["roll-timestamp"], let maxTs = values["max-timestamp"], let maxTsOffset = values["max-timestamp-offset"],
                let offsetEntries = values["offset-index-entries"], let timeEntries = values["time-index-entries"],
                base >= 0, position >= 0, position <= Int64(UInt32.max), next >= base,
                offsetEntries >= 0, offsetEntries <= position / 8 + 1, timeEntries >= 0, timeEntries <= position / 8 + 1
            else { return nil }
            self.init(
                baseOffset: base, position: Int(position), nextOffset: next, rollTimestamp: roll, maxTimestamp: maxTs,
                offsetOfMaxTimestamp: maxTsOffset, offsetEntries: Int(offsetEntries), timeEntries: Int(timeEntries))
        }
    }

    public let directory: String
    public let configuration: Configuration
    private let fs: any LogFileSystem
    /// Unique per opened log in the process (object addresses are reused; this is not).
    public let generation: UInt64 = Generations.next()
    private var segments: [Segment] = []
    public private(set) var state: State = .writable
    /// The offset the next appended record gets.
    public private(set) var nextOffset: Int64 = 0
    /// Records below this offset are durable (under the flush policy) and visible to readers.
    public private(set) var durableNextOffset: Int64 = 0
    /// What recovery did, for the log.
    public private(set) var recoveryNotes: [String] = []
    /// Batches appended and not yet published (taken back by `rollBack`): segment base, position, offset.
    private var pending: [(segment: Int64, position: Int, offset: Int64)] = []
    /// The end of the active segment's data known durable (synced).
    private var syncedPosition = 0
    /// Records below this offset are synced (ahead of `durableNextOffset` only between a roll and the
    /// commit; behind it under the `never` and `interval` policies).
    private var syncedNextOffset: Int64 = 0
    /// The position of the last checkpoint written in the active segment.
    private var checkpointPosition = 0
    private var lastCheckpoint: Checkpoint?

    /// The file name of the segment with this base offset: 20 digits, as Kafka names them.
    public static func segmentFileName(baseOffset: Int64) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// The checkpoint file's name in a partition directory.
    public static let checkpointFileName = "recovery-checkpoint"

    private var checkpointPath: String { "\(directory)/\(Self.checkpointFileName)" }

    private func location(_ file: String? = nil, _ position: Int? = nil) -> LogError.Location {
        LogError.Location(file: file ?? directory, position: position)
    }

    /// Opens (creating when missing) the partition in `directory` and recovers it.
    ///
    /// Segments before the recovery checkpoint's are sealed: their index files are loaded (rebuilt by a
    /// scan when missing or not sane). The checkpoint's segment is scanned from the checkpoint's position,
    /// later segments whole; without a checkpoint everything is scanned. With `cleanShutdown` (the data
    /// directory's marker) the checkpoint is the end and nothing is scanned. A torn tail of the last
    /// segment is truncated; damage anywhere else makes the partition read-only up to it, naming segment
    /// and position.
    ///
    /// With `repair`, everything is scanned and damage is cut off instead: the damaged segment is
    /// truncated at the first bad batch and every later segment removed (acknowledged records after the
    /// damage are lost; `recoveryNotes` says what was removed).
    public init(
        directory: String, fileSystem: any LogFileSystem, configuration: Configuration = Configuration(),
        cleanShutdown: Bool = false, repair: Bool = false
    ) throws(LogError) {
        self.directory = directory
        self.fs = fileSystem
        self.configuration = configuration
        try fs.createDirectory(directory)
        let names = try fs.contentsOfDirectory(directory)
        let bases = names.filter { $0.hasSuffix(".log") && $0.count == 24 }.compactMap { Int64($0.dropLast(4)) }.sorted()
        var checkpoint: Checkpoint?
        if !repair, fs.fileExists(checkpointPath) {
            checkpoint = Checkpoint(String(decoding: try fs.readAll(checkpointPath), as: UTF8.self))
            if checkpoint == nil {
                recoveryNotes.append("ignored an unreadable recovery checkpoint in \(directory); scanning every segment")
            }
        }
        if let c = checkpoint, !bases.contains(c.baseOffset) {
            recoveryNotes.append("ignored a recovery checkpoint naming a missing segment \(c.baseOffset); scanning every segment")
            checkpoint = nil
        }
        if let c = checkpoint {
            let h = try fs.open("\(directory)/\(Self.segmentFileName(baseOffset: c.baseOffset))", create: false)
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
            let path = "\(directory)/\(Self.segmentFileName(baseOffset: base))"
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
    private func rewriteSealedIndexes(_ segment: inout Segment) throws(LogError) {
        segment.index.appendTimeEntry(segmentBase: segment.baseOffset, lastOffset: segment.nextOffset - 1)
        segment.offsetEntriesOnDisk = 0
        segment.timeEntriesOnDisk = 0
        try persistIndexes(&segment, sync: true)
    }

    private func finishOpen() {
        nextOffset = segments.last?.nextOffset ?? 0
        durableNextOffset = nextOffset
        syncedNextOffset = nextOffset
        if let active = segments.last { syncedPosition = active.size }
    }

    /// Scans `segment` from `position`, rebuilding its indexes; truncates a torn tail of the last segment;
    /// marks the partition read-only at damage (or, with `repair`, cuts it off with every later segment).
    /// Returns false when the partition stops here (damage).
    private func recover(_ segment: inout Segment, from position: Int, expected: Int64?, isLast: Bool, repair: Bool, laterBases: [Int64])
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
                let stem = "\(directory)/\(String(Self.segmentFileName(baseOffset: later).dropLast(4)))"
                for suffix in [".log", ".index", ".timeindex"] where fs.fileExists(stem + suffix) { try fs.remove(stem + suffix) }
                recoveryNotes.append("repaired: removed \(stem).log, which followed the damage")
            }
            try fs.syncDirectory(directory)
            return false
        }
    }

    /// The position after the last non-zero byte of `from..<to` (`from` when all are zero), reading
    /// backwards in 1 MiB chunks.
    private func endOfNonZeroBytes(_ handle: LogFileHandle, from: Int, to: Int) throws(LogError) -> Int {
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
    private func loadIndexes(_ segment: inout Segment, limit: (offsets: Int, times: Int)?) -> Bool {
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

    deinit {
        for s in segments { fs.close(s.handle) }
    }

    /// The total bytes of the partition's segments.
    public var size: Int { segments.reduce(0) { $0 + $1.size } }

    /// The segment files, oldest first.
    public var segmentFiles: [String] { segments.map(\.path) }

    /// The first offset still stored.
    public var startOffset: Int64 { segments.first?.baseOffset ?? 0 }

    private func readOnlyError() -> LogError? {
        if case .readOnly(let reason) = state { return LogError(.io, "partition is read-only: \(reason)", location: location()) }
        return nil
    }

    // MARK: - Appending

    private func roll(at base: Int64) throws(LogError) {
        let path = "\(directory)/\(Self.segmentFileName(baseOffset: base))"
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
            for suffix in [".log", ".index", ".timeindex"] where fs.fileExists(segment.stem + suffix) {
                try? fs.remove(segment.stem + suffix)
            }
            throw error
        }
        segment.allocated = 0
        segments.append(segment)
        syncedPosition = 0
        checkpointPosition = -1
    }

    /// Seals the active segment before a roll: syncs its data, writes its final time entry and index
    /// files (synced), and gives back its preallocated space.
    private func sealActive() throws(LogError) {
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
    private func persistIndexes(_ segment: inout Segment, sync: Bool) throws(LogError) {
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
    public func append(_ records: [LogRecord], maxBatchBytes: Int = Int.max) throws(LogError) -> ClosedRange<Int64> {
        precondition(!records.isEmpty, "append at least one record")
        if let error = readOnlyError() { throw error }
        let batch = RecordBatch(baseOffset: nextOffset, records: records)
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

    private func append(_ bytes: [UInt8], _ summary: RecordBatch.Summary, maxBatchBytes: Int) throws(LogError) -> ClosedRange<Int64> {
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
                let step = min(configuration.preallocationBytes, configuration.segmentBytes)
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

    /// What one `fdatasync` of the active segment covers: taken before the sync (on the partition's
    /// thread), the sync itself may run on any thread, and ``completeSync(_:error:)`` publishes exactly
    /// what was covered. Appends may continue meanwhile; the next sync covers them.
    public struct SyncTicket: Sendable {
        public let handle: LogFileHandle
        let log: UInt64
        let segmentBase: Int64
        let position: Int
        /// Records below this offset are covered.
        public let nextOffset: Int64
        /// The active segment's timestamps as of the ticket (a checkpoint must not name later ones).
        let maxTimestamp: Int64
        let offsetOfMaxTimestamp: Int64
        let rollTimestamp: Int64
    }

    /// A ticket for syncing everything appended so far, or nil when nothing awaits a sync (or the
    /// partition is read-only).
    public func beginSync() -> SyncTicket? {
        guard state == .writable, syncedNextOffset < nextOffset || durableNextOffset < nextOffset, let active = segments.last else {
            return nil
        }
        return SyncTicket(
            handle: active.handle, log: generation, segmentBase: active.baseOffset, position: active.size, nextOffset: nextOffset,
            maxTimestamp: active.index.maxTimestamp, offsetOfMaxTimestamp: active.index.offsetOfMaxTimestamp,
            rollTimestamp: active.rollTimestamp)
    }

    /// Finishes a sync: on success, everything the ticket covers becomes durable and visible (and a
    /// recovery checkpoint is written every `checkpointIntervalBytes`); on failure the partition becomes
    /// read-only until it is opened (and recovered) again: a failed sync is never retried into a success.
    public func completeSync(_ ticket: SyncTicket, error: LogError?) throws(LogError) {
        guard ticket.log == generation else {
            throw LogError(.io, "a sync ticket of another partition log (the topic was deleted or recreated)", location: location())
        }
        if let error {
            state = .readOnly(reason: "fdatasync failed: \(error.message)")
            throw error
        }
        if let error = readOnlyError() { throw error }
        guard let active = segments.last else { return }
        if ticket.segmentBase == active.baseOffset, ticket.position > syncedPosition {
            syncedPosition = min(ticket.position, active.size)
        }
        syncedNextOffset = max(syncedNextOffset, ticket.nextOffset)
        publish(upTo: ticket.nextOffset)
        if ticket.segmentBase == active.baseOffset,
            checkpointPosition < 0 || syncedPosition - checkpointPosition >= configuration.checkpointIntervalBytes
        {
            do {
                try writeCheckpoint(timestamps: (ticket.maxTimestamp, ticket.offsetOfMaxTimestamp, ticket.rollTimestamp))
            } catch {
                state = .readOnly(reason: "could not write the recovery checkpoint: \(error.message)")
                throw error
            }
        }
    }

    /// Makes every appended batch durable (`fdatasync`) and visible (``beginSync()``, the sync,
    /// ``completeSync(_:error:)`` in one call).
    public func flush() throws(LogError) {
        if let error = readOnlyError() { throw error }
        guard let ticket = beginSync() else { return }
        var failure: LogError?
        do { try fs.sync(ticket.handle) } catch { failure = error }
        try completeSync(ticket, error: failure)
    }

    /// Makes appended batches visible without making them durable: the `never` and `interval` flush
    /// policies, where the OS (or the interval flush) decides when data reaches the disk.
    public func publishWithoutSync() {
        publish(upTo: nextOffset)
    }

    /// Whether `checkpointIntervalBytes` were appended since the last recovery checkpoint: under the
    /// `never` policy the directory then flushes once, so that a restart after a crash rescans little.
    public var checkpointDue: Bool {
        guard let active = segments.last, state == .writable else { return false }
        return active.size - max(checkpointPosition, 0) >= configuration.checkpointIntervalBytes
    }

    private func publish(upTo offset: Int64) {
        guard offset > durableNextOffset else { return }
        durableNextOffset = offset
        pending.removeAll { $0.offset < offset }
    }

    /// Writes the recovery checkpoint at the active segment's synced end: index files first (synced),
    /// then the checkpoint file (temporary file, sync, rename, directory sync).
    /// `timestamps` are the active segment's (largest, its offset, first batch's) as of the synced
    /// position; the current ones when nil (everything is synced).
    private func writeCheckpoint(timestamps: (max: Int64, offset: Int64, roll: Int64)? = nil) throws(LogError) {
        var active = segments[segments.count - 1]
        let timestamps = timestamps ?? (active.index.maxTimestamp, active.index.offsetOfMaxTimestamp, active.rollTimestamp)
        let position = min(syncedPosition, active.size)
        // Only entries for batches below the synced position may be named by the checkpoint.
        let offsetEntries = active.index.offsets.prefix { Int($0.position) < position }.count
        let syncedNext = position == active.size ? active.nextOffset : min(syncedNextOffset, active.nextOffset)
        let timeEntries = active.index.times.prefix { active.baseOffset + Int64($0.relativeOffset) < syncedNext }.count
        try persistIndexes(&active, sync: true)
        segments[segments.count - 1] = active
        let checkpoint = Checkpoint(
            baseOffset: active.baseOffset, position: position, nextOffset: syncedNext, rollTimestamp: timestamps.roll,
            maxTimestamp: timestamps.max, offsetOfMaxTimestamp: timestamps.offset,
            offsetEntries: offsetEntries, timeEntries: timeEntries)
        guard checkpoint != lastCheckpoint else { return }
        let temporary = checkpointPath + ".tmp"
        let h = try fs.open(temporary, create: true)
        defer { fs.close(h) }
        try fs.truncate(h, to: 0)
        try fs.write(h, Array(checkpoint.text.utf8), at: 0)
        try fs.sync(h)
        try fs.rename(temporary, to: checkpointPath)
        try fs.syncDirectory(directory)
        lastCheckpoint = checkpoint
        checkpointPosition = position
    }

    /// Flushes, writes index files and the recovery checkpoint at the end of the log (a clean stop).
    /// Returns false when the partition is read-only (its checkpoint cannot be trusted to be the end).
    @discardableResult
    public func close() -> Bool {
        guard state == .writable else { return false }
        do {
            try flush()
            try writeCheckpoint()
            return true
        } catch {
            return false
        }
    }

    /// Removes batches appended from `offset` on that are not published yet (an append that failed on
    /// another partition is taken back whole). Published data is never touched.
    public func rollBack(to offset: Int64) throws(LogError) {
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

    private func takeBack(to offset: Int64) throws(LogError) {
        while let last = pending.last, last.offset >= offset {
            pending.removeLast()
            while let active = segments.last, active.baseOffset > last.segment {
                // A segment rolled for the taken-back batches: remove it, the previous one is active again.
                fs.close(active.handle)
                for suffix in [".log", ".index", ".timeindex"] where fs.fileExists(active.stem + suffix) {
                    try fs.remove(active.stem + suffix)
                }
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
        for s in segments { fs.close(s.handle) }
        segments = []
        // Every file, also segments a read-only partition never loaded (past its damage).
        for name in try fs.contentsOfDirectory(directory) { try fs.remove("\(directory)/\(name)") }
        try fs.removeDirectory(directory)
        state = .readOnly(reason: "deleted")
    }

    // MARK: - Reading

    /// Visible batches holding offsets from `offset` on, up to about `maxBytes` (at least one batch).
    /// A damaged batch is never served: the read fails naming segment and position, and the partition
    /// becomes read-only.
    public func read(from offset: Int64, maxBytes: Int = 1 << 20) throws(LogError) -> [RecordBatch] {
        let from = max(offset, startOffset)
        guard from < durableNextOffset else { return [] }
        let first = segments.lastIndex { $0.baseOffset <= from } ?? 0
        var result: [RecordBatch] = []
        var total = 0
        for (k, segment) in segments[first...].enumerated() {
            // The CRC does not cover base offsets: every batch must continue from the one before it.
            var (position, expected) = k == 0 ? segment.index.entry(for: from, segmentBase: segment.baseOffset) : (0, segment.baseOffset)
            while position < segment.size {
                if expected >= durableNextOffset { return result }
                let want = min(segment.size - position, max(maxBytes - total, 0) + 64 * 1024)
                let chunk = try fs.read(segment.handle, at: position, count: want)
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
                        // One batch larger than the chunk: read it whole.
                        let whole = try fs.read(segment.handle, at: position, count: size)
                        let batch = try decode(whole, segment, at: position, expected: expected)
                        if batch.lastOffset >= from {
                            if !result.isEmpty && total + size > maxBytes { return result }
                            result.append(batch)
                            total += size
                        }
                        expected = batch.lastOffset + 1
                        local = size
                        break
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
                        result.append(try decode(Array(chunk[local..<(local + size)]), segment, at: position + local, expected: expected))
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

    /// Decodes a batch read at `position`, which must start at offset `expected`.
    private func decode(_ bytes: [UInt8], _ segment: Segment, at position: Int, expected: Int64) throws(LogError) -> RecordBatch {
        let batch: RecordBatch
        do {
            batch = try RecordBatch(decoding: bytes, position: position)
        } catch {
            throw damaged(segment, at: position, error.message)
        }
        guard batch.baseOffset == expected else {
            throw damaged(segment, at: position, "batch starts at offset \(batch.baseOffset), expected \(expected)")
        }
        return batch
    }

    private func damaged(_ segment: Segment, at position: Int, _ reason: String) -> LogError {
        state = .readOnly(reason: "damaged batch in \(segment.path) at byte \(position): \(reason)")
        return LogError(.corruptBatch, "damaged batch, not served: \(reason)", location: location(segment.path, position))
    }

    /// The first offset whose record's timestamp is at or after `timestamp` (Kafka's ListOffsets by
    /// time), or nil when every visible record is older.
    public func offset(forTimestamp timestamp: Int64) throws(LogError) -> Int64? {
        for segment in segments where segment.index.maxTimestamp >= timestamp && segment.baseOffset < durableNextOffset {
            var from = segment.index.firstCandidate(forTimestamp: timestamp, segmentBase: segment.baseOffset)
            while from < min(segment.nextOffset, durableNextOffset) {
                let batches = try read(from: from, maxBytes: 256 * 1024)
                guard !batches.isEmpty else { break }
                for batch in batches where batch.maxTimestamp >= timestamp && batch.lastOffset >= from {
                    for (i, record) in batch.records.enumerated() where record.timestamp >= timestamp && batch.baseOffset + Int64(i) >= from
                    {
                        return batch.baseOffset + Int64(i)
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
            fs.close(oldest.handle)
            for suffix in [".log", ".index", ".timeindex"] where fs.fileExists(oldest.stem + suffix) { try fs.remove(oldest.stem + suffix) }
            segments.removeFirst()
            removed.append(oldest.path)
        }
        if !removed.isEmpty { try fs.syncDirectory(directory) }
        return removed
    }

    // MARK: - Verification

    /// Checks a partition directory's files without changing or recovering anything: every batch's CRC,
    /// offsets and continuity across segments, and the index files: every offset entry names the start
    /// and base offset of a batch, every time entry the last offset of a batch and the largest timestamp
    /// up to it, and a sealed segment's last time entry its largest timestamp. For the active segment,
    /// only the entries its recovery checkpoint vouches for count (later ones are rebuilt on open).
    /// Returns the number of batches and the problems, each naming file and position; it stops at the
    /// first damaged batch.
    public static func verifyFiles(directory: String, fileSystem fs: any LogFileSystem) throws(LogError) -> (
        batches: Int, problems: [String]
    ) {
        let bases = try fs.contentsOfDirectory(directory).filter { $0.hasSuffix(".log") && $0.count == 24 }.compactMap {
            Int64($0.dropLast(4))
        }.sorted()
        let checkpointFile = "\(directory)/\(checkpointFileName)"
        let checkpoint = fs.fileExists(checkpointFile) ? Checkpoint(String(decoding: try fs.readAll(checkpointFile), as: UTF8.self)) : nil
        var problems: [String] = []
        var batches = 0
        var expected: Int64?
        for (i, base) in bases.enumerated() {
            let stem = "\(directory)/\(String(segmentFileName(baseOffset: base).dropLast(4)))"
            let path = stem + ".log"
            let bytes = try fs.readAll(path)
            let scan = SegmentScan(bytes, expectedBaseOffset: expected ?? base)
            batches += scan.entries.count
            switch scan.ending {
            case .clean: break
            case .tornTail(let at, let reason), .corruption(let at, let reason, _):
                problems.append("\(path) at byte \(at): \(reason)")
                return (batches, problems)
            }
            let isSealed = i < bases.count - 1
            var offsetBytes = fs.fileExists(stem + ".index") ? try fs.readAll(stem + ".index") : []
            var timeBytes = fs.fileExists(stem + ".timeindex") ? try fs.readAll(stem + ".timeindex") : []
            if !isSealed, let checkpoint, checkpoint.baseOffset == base {
                offsetBytes = Array(offsetBytes.prefix(checkpoint.offsetEntries * 8))
                timeBytes = Array(timeBytes.prefix(checkpoint.timeEntries * 12))
            }
            guard let index = SegmentIndex.decode(offsets: offsetBytes, times: timeBytes, segmentSize: max(scan.validEnd, 1)) else {
                problems.append("\(stem).index or .timeindex is not sane (size, order or positions)")
                continue
            }
            let byPosition = Dictionary(scan.entries.map { ($0.position, $0.baseOffset) }, uniquingKeysWith: { a, _ in a })
            for e in index.offsets where byPosition[Int(e.position)] != base + Int64(e.relativeOffset) {
                problems.append(
                    "\(stem).index: entry for offset \(base + Int64(e.relativeOffset)) at byte \(e.position) names no batch of \(path)")
                break
            }
            var runningMax: Int64 = -1
            var maxThrough: [Int64: Int64] = [:]
            for entry in scan.entries {
                runningMax = max(runningMax, entry.maxTimestamp)
                maxThrough[entry.lastOffset] = runningMax
            }
            for e in index.times where maxThrough[base + Int64(e.relativeOffset)] != e.timestamp {
                problems.append(
                    "\(stem).timeindex: entry (\(e.timestamp), offset \(base + Int64(e.relativeOffset))) does not match the batches of \(path)"
                )
                break
            }
            if isSealed, runningMax >= 0, index.times.last?.timestamp != runningMax {
                problems.append("\(stem).timeindex: the last entry is not the segment's largest timestamp \(runningMax)")
            }
            expected = scan.nextOffset ?? expected
        }
        return (batches, problems)
    }
}

/// Numbers for ``PartitionLog/generation``.
private enum Generations {
    private static let last = Locked<UInt64>(0)

    static func next() -> UInt64 {
        last.withValue { last in
            last += 1
            return last
        }
    }
}
