import Foundation

/// One compacted partition's cleaning, as the I/O thread hands it to the cleaner: the sealed segments
/// to clean (no append touches them again; a change by retention or a topic delete is noticed when
/// the result is applied) and where the records not cleaned yet start.
public struct CompactionJob: Sendable {
    /// A sealed segment to clean.
    public struct Source: Sendable, Equatable {
        public var baseOffset: Int64
        public var path: String
        public var size: Int
        /// The offset after its last batch.
        public var nextOffset: Int64
    }

    public let directory: String
    let fs: any LogFileSystem
    /// The ``PartitionLog/generation`` the job was taken from.
    let generation: UInt64
    public let sources: [Source]
    /// Records from here on were not cleaned before (a segment boundary): the key map comes from them.
    public let firstDirtyOffset: Int64
    let now: Int64
    let deleteRetentionMs: Int64
    let segmentBytes: Int
    let token: CompactionToken
}

/// What a cleaning wrote: the cleaned segments (synced `.cleaned` files, not yet in place) and what
/// they replace. ``PartitionLog/applyCompaction(_:indexInterval:)`` swaps them in.
public struct CompactionOutput: Sendable {
    /// One cleaned segment: it replaces the sources whose base offsets are in `replaced`.
    struct Group: Sendable {
        var baseOffset: Int64
        var path: String
        var size: Int
        var nextOffset: Int64
        var replaced: [Int64]
        /// Its batches, for the indexes.
        var entries: [SegmentScan.Entry]
    }

    let job: CompactionJob
    let groups: [Group]
    public let report: CompactionReport

    /// Removes the cleaned files (a result that will not be applied).
    func discard() {
        for group in groups where job.fs.fileExists(group.path) { try? job.fs.remove(group.path) }
    }
}

/// What a cleaning did to a partition.
public struct CompactionReport: Sendable, Equatable {
    public var segmentsBefore: Int
    public var segmentsAfter: Int
    public var bytesBefore: Int
    public var bytesAfter: Int
    /// Records dropped because a later record has the same key (or they have no key).
    public var recordsRemoved: Int
    /// Tombstones dropped once older than `delete.retention.ms` after a cleaning kept them.
    public var tombstonesRemoved: Int
    /// The first offset the next cleaning treats as dirty.
    public var cleanedThrough: Int64
}

/// Cancels a cleaning (a topic delete) and waits until the cleaner stopped touching the partition's
/// directory.
// @unchecked Sendable: `cancelled`, `started` and `finished` are only read or written with `condition` held.
final class CompactionToken: @unchecked Sendable {
    private let condition = NSCondition()
    private var cancelled = false
    private var started = false
    private var finished = false

    var isCancelled: Bool { condition.withLock { cancelled } }

    /// The cleaner starts the job: false when it was cancelled before (then it is not run).
    func begin() -> Bool {
        condition.withLock {
            started = !cancelled
            return started
        }
    }

    /// The cleaner is done with the directory (whatever the outcome).
    func finish() {
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }

    /// Asks the cleaner to stop, and waits until it has (it checks at every batch it reads).
    func cancelAndWait() {
        condition.lock()
        cancelled = true
        while started && !finished { condition.wait() }
        condition.unlock()
    }
}

/// Kafka's log compaction for one partition: the last record of each key is kept, older ones with the
/// same key are dropped, tombstones stay for `delete.retention.ms` after the cleaning that first kept
/// them. Offsets never change: a batch keeps its base offset and the offsets it covers, with fewer
/// records (a batch that loses none is copied byte for byte, compressed or not); batches that lose
/// every record become one empty batch covering their offsets, so every batch still follows the one
/// before it, as recovery and reads check. Small cleaned segments are merged up to `segment.bytes`.
///
/// Runs on the cleaner's thread, reading the sealed segments through its own file handles and writing
/// `<base>.log.cleaned` files beside them; appends go on meanwhile.
enum Compactor {
    static let cleanedSuffix = ".cleaned"
    static let swapSuffix = ".swap"

    /// Cleans `job`'s segments. Throws on a read, write or decoding failure (the files written so far are
    /// removed; the partition is unchanged); returns nil when cancelled.
    static func run(_ job: CompactionJob) throws(LogError) -> CompactionOutput? {
        var written: [String] = []
        do {
            let output = try clean(job, written: &written)
            if output == nil { for path in written { try? job.fs.remove(path) } }
            return output
        } catch {
            for path in written { try? job.fs.remove(path) }
            if error.code == cancelled { return nil }
            throw error
        }
    }

    /// What `forEachBatch` throws when the job was cancelled (checked at every batch).
    static let cancelled = LogError.Code(rawValue: "compaction-cancelled")

    private static func clean(_ job: CompactionJob, written: inout [String]) throws(LogError) -> CompactionOutput? {
        let fs = job.fs
        // The last offset of each key among the dirty records, and each idempotent producer's last batch
        // (kept, empty if need be, as Kafka keeps it: the producer's sequence is read back from it).
        var latest: [[UInt8]: Int64] = [:]
        var lastOfProducer: [Int64: Int64] = [:]
        for source in job.sources {
            if job.token.isCancelled { return nil }
            let dirty = source.baseOffset >= job.firstDirtyOffset
            try forEachBatch(in: source, fs, decode: dirty, token: job.token) { (batch, header) throws(LogError) in
                if header.producerId >= 0 { lastOfProducer[header.producerId] = header.baseOffset }
                for (offset, record) in batch?.recordsWithOffsets ?? [] {
                    if let key = record.key { latest[key] = offset }
                }
            }
        }
        let horizon = job.now.subtractingReportingOverflow(job.deleteRetentionMs).partialValue
        var report = CompactionReport(
            segmentsBefore: job.sources.count, segmentsAfter: 0, bytesBefore: job.sources.reduce(0) { $0 + $1.size }, bytesAfter: 0,
            recordsRemoved: 0, tombstonesRemoved: 0, cleanedThrough: job.sources.last?.nextOffset ?? job.firstDirtyOffset)
        var groups: [CompactionOutput.Group] = []
        var current: (group: CompactionOutput.Group, handle: LogFileHandle)?
        func close() throws(LogError) {
            guard let (group, handle) = current else { return }
            current = nil
            defer { fs.close(handle) }
            try fs.sync(handle)
            groups.append(group)
        }
        do throws(LogError) {
            for (k, source) in job.sources.enumerated() {
                if job.token.isCancelled {
                    if let handle = current?.handle { fs.close(handle) }
                    return nil
                }
                let isClean = source.baseOffset < job.firstDirtyOffset
                var out: [UInt8] = []
                var entries: [SegmentScan.Entry] = []
                var gap: (from: Int64, through: Int64, maxTimestamp: Int64)?
                func emit(_ bytes: [UInt8], base: Int64, last: Int64, maxTimestamp: Int64) {
                    entries.append(
                        SegmentScan.Entry(
                            position: out.count, size: bytes.count, baseOffset: base, lastOffset: last, maxTimestamp: maxTimestamp))
                    out += bytes
                }
                func flushGap() {
                    guard var g = gap else { return }
                    gap = nil
                    while g.from <= g.through {
                        let last = min(g.through, g.from + Int64(Int32.max))
                        let empty = RecordBatch(
                            baseOffset: g.from, lastOffsetDelta: Int32(last - g.from), records: [], offsetDeltas: [],
                            maxTimestamp: g.maxTimestamp,
                            producer: nil)
                        emit(empty.encoded(), base: g.from, last: last, maxTimestamp: g.maxTimestamp)
                        g.from = last + 1
                    }
                }
                try forEachBatch(in: source, fs, decode: true, token: job.token) { (decoded, header) throws(LogError) in
                    let batch = decoded!
                    var kept: [LogRecord] = []
                    var deltas: [Int32] = []
                    for (i, record) in batch.records.enumerated() {
                        let offset = batch.offset(ofRecordAt: i)
                        guard let key = record.key, latest[key].map({ $0 <= offset }) ?? true else {
                            report.recordsRemoved += 1
                            continue
                        }
                        if record.value == nil && isClean && batch.maxTimestamp < horizon {
                            report.tombstonesRemoved += 1
                            continue
                        }
                        kept.append(record)
                        deltas.append(Int32(offset - batch.baseOffset))
                    }
                    if kept.isEmpty && (batch.producerId < 0 || lastOfProducer[batch.producerId] != batch.baseOffset) {
                        gap = (gap?.from ?? batch.baseOffset, batch.lastOffset, max(gap?.maxTimestamp ?? -1, batch.maxTimestamp))
                        return
                    }
                    flushGap()
                    if kept.count == batch.records.count {
                        emit(header.bytes, base: batch.baseOffset, last: batch.lastOffset, maxTimestamp: batch.maxTimestamp)
                    } else {
                        let cleaned = RecordBatch(
                            baseOffset: batch.baseOffset, lastOffsetDelta: batch.lastOffsetDelta, records: kept, offsetDeltas: deltas,
                            maxTimestamp: batch.maxTimestamp, producer: batch.producer, timestampType: batch.attributes)
                        emit(cleaned.encoded(), base: batch.baseOffset, last: batch.lastOffset, maxTimestamp: batch.maxTimestamp)
                    }
                }
                flushGap()
                // A new cleaned segment when this one would pass segment.bytes, or span more offsets than a
                // segment's index can name (2^32), or after a gap a repair left.
                guard out.count <= Int(UInt32.max) else {
                    throw LogError(
                        .recordTooLarge, "compaction stopped: \(source.path) would clean to \(out.count) bytes, more than a segment holds",
                        location: LogError.Location(file: source.path))
                }
                let follows = k > 0 && job.sources[k - 1].nextOffset == source.baseOffset
                if let c = current,
                    !follows || c.group.size + out.count > min(job.segmentBytes, Int(UInt32.max))
                        || source.nextOffset - 1 - c.group.baseOffset > Int64(UInt32.max)
                {
                    try close()
                }
                if current == nil {
                    let path = "\(job.directory)/\(SegmentFiles.logFileName(baseOffset: source.baseOffset))\(cleanedSuffix)"
                    let handle = try fs.open(path, create: true)
                    written.append(path)
                    current = (
                        CompactionOutput.Group(
                            baseOffset: source.baseOffset, path: path, size: 0, nextOffset: source.baseOffset, replaced: [], entries: []),
                        handle
                    )
                    try fs.truncate(handle, to: 0)
                }
                let at = current!.group.size
                if !out.isEmpty { try fs.write(current!.handle, out, at: at) }
                current!.group.size += out.count
                current!.group.nextOffset = source.nextOffset
                current!.group.replaced.append(source.baseOffset)
                current!.group.entries += entries.map {
                    var e = $0
                    e.position += at
                    return e
                }
            }
            try close()
        } catch {
            if let handle = current?.handle { fs.close(handle) }
            throw error
        }
        report.segmentsAfter = groups.count
        report.bytesAfter = groups.reduce(0) { $0 + $1.size }
        return CompactionOutput(job: job, groups: groups, report: report)
    }

    /// A batch's bytes and the header fields the cleaner reads without decoding it.
    struct Header {
        var bytes: [UInt8]
        var baseOffset: Int64
        var producerId: Int64
    }

    /// Calls `body` with each batch of a sealed segment (decoded when `decode`; checked by header and
    /// CRC either way) and its bytes; checks that each batch follows the one before it and that they
    /// end where the segment does.
    static func forEachBatch(
        in source: CompactionJob.Source, _ fs: any LogFileSystem, decode: Bool, token: CompactionToken? = nil,
        _ body: (RecordBatch?, Header) throws(LogError) -> Void
    ) throws(LogError) {
        let handle = try fs.open(source.path, create: false)
        defer { fs.close(handle) }
        func damaged(_ position: Int, _ reason: String) -> LogError {
            LogError(.corruptBatch, "compaction stopped: \(reason)", location: LogError.Location(file: source.path, position: position))
        }
        var position = 0
        var expected = source.baseOffset
        while position < source.size {
            let chunk = try fs.read(handle, at: position, count: min(source.size - position, 1 << 20))
            var local = 0
            while local + RecordBatch.logOverhead <= chunk.count {
                if token?.isCancelled == true { throw LogError(cancelled, "cancelled") }
                let size = chunk.withUnsafeBytes { RecordBatch.totalSize(of: $0, at: local)! }
                guard size >= RecordBatch.headerSize, position + local + size <= source.size else {
                    throw damaged(position + local, "a batch of \(size) bytes does not fit the segment")
                }
                let bytes: [UInt8]
                if local + size <= chunk.count {
                    bytes = Array(chunk[local..<(local + size)])
                } else if local == 0 {
                    bytes = try fs.read(handle, at: position, count: size)
                } else {
                    break  // read on from this batch
                }
                var batch: RecordBatch?
                let summary: RecordBatch.Summary
                do {
                    if decode {
                        batch = try RecordBatch(decoding: bytes, position: position + local)
                        summary = RecordBatch.Summary(
                            baseOffset: batch!.baseOffset, lastOffset: batch!.lastOffset, maxTimestamp: batch!.maxTimestamp, size: size)
                    } else {
                        let checked = bytes.withUnsafeBytes { (raw) -> Result<RecordBatch.Summary, LogError> in
                            do throws(LogError) { return .success(try RecordBatch.summary(of: raw, position: position + local)) } catch {
                                return .failure(error)
                            }
                        }
                        summary = try checked.get()
                    }
                } catch {
                    throw damaged(position + local, error.message)
                }
                guard summary.baseOffset == expected else {
                    throw damaged(position + local, "batch starts at offset \(summary.baseOffset), expected \(expected)")
                }
                let producerId = bytes.withUnsafeBytes { $0.loadBigEndian(Int64.self, at: 43) }
                try body(batch, Header(bytes: bytes, baseOffset: summary.baseOffset, producerId: producerId))
                expected = summary.lastOffset + 1
                local += size
            }
            guard local > 0 else { throw damaged(position, "incomplete batch") }
            position += local
        }
        guard expected == source.nextOffset else {
            throw damaged(source.size, "the segment ends at offset \(expected - 1), the next starts at \(source.nextOffset)")
        }
    }
}
