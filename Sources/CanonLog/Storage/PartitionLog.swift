/// One partition's log on disk: segments of record batches named by base offset, recovered on open.
///
/// This is the synchronous core that the engine's partition writer drives from its I/O thread (group
/// commit, the flush policies and concurrency sit above it). Appends are not visible to readers until
/// `flush()` made them durable; a failed write is cut back and fails that append only; a failed flush
/// puts the partition in a failed, read-only state until it is opened again (and recovered).
public final class PartitionLog {
    /// Settings of the partition's topic that the storage layer uses.
    public struct Configuration: Sendable {
        /// Roll to a new segment when the active one would grow past this (Kafka's `segment.bytes`).
        public var segmentBytes: Int

        public init(segmentBytes: Int = 1 << 30) {
            self.segmentBytes = segmentBytes
        }
    }

    /// Whether the partition takes appends.
    public enum State: Sendable, Equatable {
        case writable
        /// Acknowledged data is damaged, or a flush failed: reads up to the damage only, no appends.
        case readOnly(reason: String)
    }

    private struct Segment {
        var baseOffset: Int64
        var path: String
        var handle: LogFileHandle
        var size: Int
        /// Every batch, in order (an in-memory index; the sparse on-disk index comes later).
        var entries: [SegmentScan.Entry]
    }

    public let directory: String
    public let configuration: Configuration
    private let fs: any LogFileSystem
    private var segments: [Segment] = []
    public private(set) var state: State = .writable
    /// The offset the next appended record gets.
    public private(set) var nextOffset: Int64 = 0
    /// Records below this offset are durable and visible to readers.
    public private(set) var durableNextOffset: Int64 = 0
    /// What recovery did, for the log.
    public private(set) var recoveryNotes: [String] = []

    /// The file name of the segment with this base offset: 20 digits, as Kafka names them.
    public static func segmentFileName(baseOffset: Int64) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// Opens (creating when missing) the partition in `directory` and recovers it: every segment is
    /// scanned; a torn tail of the last segment is truncated; damage anywhere else makes the partition
    /// read-only up to it, naming segment and position.
    ///
    /// With `repair`, damage is cut off instead: the damaged segment is truncated at the first bad batch
    /// and every later segment removed (acknowledged records after the damage are lost; `recoveryNotes`
    /// says what was removed).
    public init(directory: String, fileSystem: any LogFileSystem, configuration: Configuration = Configuration(), repair: Bool = false) throws(LogError) {
        self.directory = directory
        self.fs = fileSystem
        self.configuration = configuration
        try fs.createDirectory(directory)
        let names = try fs.contentsOfDirectory(directory).filter { $0.hasSuffix(".log") && $0.count == 24 }
        let bases = names.compactMap { Int64($0.dropLast(4)) }.sorted()
        for (i, base) in bases.enumerated() {
            let path = "\(directory)/\(Self.segmentFileName(baseOffset: base))"
            let handle = try fs.open(path, create: false)
            let bytes = try fs.read(handle, at: 0, count: try fs.size(handle))
            let scan = SegmentScan(bytes, expectedBaseOffset: segments.last.map { _ in nextOffset } ?? base)
            var segment = Segment(baseOffset: base, path: path, handle: handle, size: bytes.count, entries: scan.entries)
            nextOffset = scan.nextOffset ?? base
            let isLast = i == bases.count - 1
            switch scan.ending {
            case .clean:
                if scan.validEnd < bytes.count {
                    try fs.truncate(handle, to: scan.validEnd)
                    segment.size = scan.validEnd
                }
            case .tornTail(let position, let reason) where isLast:
                try fs.truncate(handle, to: position)
                try fs.sync(handle)
                segment.size = position
                recoveryNotes.append("truncated a torn tail of \(bytes.count - position) byte(s) at \(path) byte \(position): \(reason)")
            case .tornTail(let position, let reason), .corruption(let position, let reason, _):
                guard repair else {
                    state = .readOnly(reason: "damaged batch in \(path) at byte \(position): \(reason)")
                    recoveryNotes.append("read-only: damaged batch in \(path) at byte \(position): \(reason)")
                    segments.append(segment)
                    durableNextOffset = nextOffset
                    return
                }
                try fs.truncate(handle, to: position)
                try fs.sync(handle)
                segment.size = position
                segments.append(segment)
                recoveryNotes.append("repaired: truncated \(path) at byte \(position) (\(bytes.count - position) byte(s) removed): \(reason)")
                for later in bases[(i + 1)...] {
                    let laterPath = "\(directory)/\(Self.segmentFileName(baseOffset: later))"
                    try fs.remove(laterPath)
                    recoveryNotes.append("repaired: removed \(laterPath), which followed the damage")
                }
                try fs.syncDirectory(directory)
                durableNextOffset = nextOffset
                if segments.isEmpty { try roll(at: 0) }
                return
            }
            segments.append(segment)
        }
        durableNextOffset = nextOffset
        if segments.isEmpty { try roll(at: 0) }
    }

    deinit {
        for s in segments { fs.close(s.handle) }
    }

    /// The total bytes of the partition's segments.
    public var size: Int { segments.reduce(0) { $0 + $1.size } }

    private func roll(at base: Int64) throws(LogError) {
        let path = "\(directory)/\(Self.segmentFileName(baseOffset: base))"
        let handle = try fs.open(path, create: true)
        try fs.syncDirectory(directory)
        segments.append(Segment(baseOffset: base, path: path, handle: handle, size: 0, entries: []))
    }

    /// Appends one batch of records; returns the first and last offsets. Not durable or visible until
    /// `flush()`. A failed write is cut back and fails this append only.
    /// A batch larger than `maxBatchBytes` (the topic's `max.message.bytes`) is refused whole.
    @discardableResult
    public func append(_ records: [LogRecord], maxBatchBytes: Int = Int.max) throws(LogError) -> ClosedRange<Int64> {
        if case .readOnly(let reason) = state {
            throw LogError(.io, "partition is read-only: \(reason)", location: LogError.Location(file: directory))
        }
        precondition(!records.isEmpty, "append at least one record")
        let batch = RecordBatch(baseOffset: nextOffset, records: records)
        let bytes = batch.encoded()
        guard bytes.count <= maxBatchBytes else {
            throw LogError(.recordTooLarge, "batch of \(bytes.count) bytes exceeds max.message.bytes \(maxBatchBytes)", location: LogError.Location(file: directory))
        }
        if let active = segments.last, active.size > 0, active.size + bytes.count > configuration.segmentBytes {
            try flush()
            try roll(at: nextOffset)
        }
        var active = segments[segments.count - 1]
        do {
            try fs.write(active.handle, bytes, at: active.size)
        } catch {
            // Cut back what may have been written; if even that fails, stop taking appends.
            do {
                try fs.truncate(active.handle, to: active.size)
            } catch {
                state = .readOnly(reason: "could not cut back a failed write: \(error.message)")
            }
            throw error
        }
        active.entries.append(SegmentScan.Entry(position: active.size, size: bytes.count, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp))
        active.size += bytes.count
        segments[segments.count - 1] = active
        nextOffset = batch.lastOffset + 1
        return batch.baseOffset...batch.lastOffset
    }

    /// Makes every appended batch durable (`fdatasync`) and visible. A failure is never retried into a
    /// success: the partition becomes read-only until it is opened (and recovered) again.
    public func flush() throws(LogError) {
        guard durableNextOffset < nextOffset, let active = segments.last else { return }
        do {
            try fs.sync(active.handle)
        } catch {
            state = .readOnly(reason: "fdatasync failed: \(error.message)")
            throw error
        }
        durableNextOffset = nextOffset
    }

    /// Removes batches appended from `offset` on that are not flushed yet (an append that failed on
    /// another partition is taken back whole). Flushed data is never touched.
    public func rollBack(to offset: Int64) throws(LogError) {
        guard offset >= durableNextOffset else {
            throw LogError(.io, "cannot roll back to offset \(offset): records up to \(durableNextOffset) are already durable", location: LogError.Location(file: directory))
        }
        while let active = segments.last, let last = active.entries.last, last.baseOffset >= offset {
            var segment = active
            segment.entries.removeLast()
            try fs.truncate(segment.handle, to: last.position)
            segment.size = last.position
            segments[segments.count - 1] = segment
            if segment.entries.isEmpty && segments.count > 1 {
                fs.close(segment.handle)
                try fs.remove(segment.path)
                segments.removeLast()
            }
        }
        nextOffset = offset
    }

    /// Makes appended batches visible without making them durable: the `never` flush policy, where the
    /// OS decides when data reaches the disk.
    public func publishWithoutSync() {
        durableNextOffset = nextOffset
    }

    /// Closes the files and removes the segments and the directory (deleting a topic).
    public func removeFiles() throws(LogError) {
        for s in segments {
            fs.close(s.handle)
            try fs.remove(s.path)
        }
        segments = []
        try fs.removeDirectory(directory)
        state = .readOnly(reason: "deleted")
    }

    /// Durable batches holding offsets from `offset` on, up to about `maxBytes` (at least one batch).
    public func read(from offset: Int64, maxBytes: Int = 1 << 20) throws(LogError) -> [RecordBatch] {
        guard offset < durableNextOffset else { return [] }
        guard let index = segments.lastIndex(where: { $0.baseOffset <= offset }) ?? (segments.isEmpty ? nil : 0) else { return [] }
        var result: [RecordBatch] = []
        var total = 0
        for segment in segments[index...] {
            for entry in segment.entries where entry.lastOffset >= offset && entry.lastOffset < durableNextOffset {
                if !result.isEmpty && total + entry.size > maxBytes { return result }
                let bytes = try fs.read(segment.handle, at: entry.position, count: entry.size)
                result.append(try RecordBatch(decoding: bytes, position: entry.position))
                total += entry.size
            }
        }
        return result
    }

    /// The segment files, oldest first.
    public var segmentFiles: [String] { segments.map(\.path) }

    /// Deletes whole old segments (never the active one) whose newest record is older than
    /// `retentionMs` before `now`, or while the partition is larger than `retentionBytes` without them
    /// (-1 disables either rule). Returns the removed files.
    @discardableResult
    public func enforceRetention(now: Int64, retentionMs: Int64, retentionBytes: Int64) throws(LogError) -> [String] {
        var removed: [String] = []
        while segments.count > 1 {
            let oldest = segments[0]
            let newestTimestamp = oldest.entries.map(\.maxTimestamp).max() ?? Int64.min
            let tooOld = retentionMs >= 0 && newestTimestamp < now - retentionMs
            let tooBig = retentionBytes >= 0 && Int64(size - oldest.size) >= retentionBytes
            guard tooOld || tooBig else { break }
            fs.close(oldest.handle)
            try fs.remove(oldest.path)
            segments.removeFirst()
            removed.append(oldest.path)
        }
        if !removed.isEmpty { try fs.syncDirectory(directory) }
        return removed
    }

    /// The first offset still stored.
    public var startOffset: Int64 { segments.first?.entries.first?.baseOffset ?? segments.first?.baseOffset ?? 0 }
}
