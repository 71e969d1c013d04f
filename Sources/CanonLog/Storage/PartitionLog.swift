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
        /// The largest step of disk space reserved ahead of the active segment's writes (steps start at
        /// 64 KiB and follow the segment's size up to this; capped at `segmentBytes`); 0 grows files as
        /// they are written.
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

    /// Acknowledged records the partition cannot serve: missing below the acknowledged mark, behind a
    /// damaged batch, or with the partition directory itself. Reads from `from` on fail naming this;
    /// the partition takes no appends (no offset is ever given out twice).
    public struct Damage: Sendable, Equatable {
        /// The first offset not served.
        public var from: Int64
        /// The offset the acknowledged records reach, when known (the acknowledged mark's).
        public var acknowledgedNextOffset: Int64?
        /// What is wrong, naming file and position.
        public var reason: String
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

    public let directory: String
    public let configuration: Configuration
    let fs: any LogFileSystem
    /// Unique per opened log in the process (object addresses are reused; this is not).
    public let generation: UInt64 = Generations.next()
    var segments: [Segment] = []
    public internal(set) var state: State = .writable
    /// The offset the next appended record gets.
    public internal(set) var nextOffset: Int64 = 0
    /// Records below this offset are durable (under the flush policy) and visible to readers.
    public internal(set) var durableNextOffset: Int64 = 0
    /// What recovery did, for the log.
    public internal(set) var recoveryNotes: [String] = []
    /// Acknowledged records that are missing or damaged (the partition is read-only then).
    public internal(set) var damage: Damage?
    /// The open `acknowledged` file (nil only when the partition directory is missing).
    var markHandle: LogFileHandle?
    /// Whether the partition's files are closed to stay within the directory's descriptor budget
    /// (``park()``); the next append, read or repair reopens them.
    public internal(set) var isParked = false
    /// Closes the partition's files only when no running sync uses them.
    lazy var lease = FileLease(fs)
    /// When the partition was last used, on its directory's clock (for parking the least recent).
    var lastUse: UInt64 = 0
    /// Told when a parked partition opened its files again.
    var onReopen: (() -> Void)?
    /// Batches appended and not yet published (taken back by `rollBack`): segment base, position, offset.
    var pending: [(segment: Int64, position: Int, offset: Int64)] = []
    /// The end of the active segment's data known durable (synced).
    var syncedPosition = 0
    /// Records below this offset are synced (ahead of `durableNextOffset` only between a roll and the
    /// commit; behind it under the `never` and `interval` policies).
    var syncedNextOffset: Int64 = 0
    /// The position of the last checkpoint written in the active segment.
    var checkpointPosition = 0
    var lastCheckpoint: RecoveryCheckpoint?
    /// The cleaning running on the cleaner's thread, if any (a topic delete cancels it and waits).
    var cleaning: CompactionToken?
    /// The first offset not cleaned yet (the cleaner checkpoint), once read.
    var cleanedThrough: Int64?
    /// After a failed cleaning, the partition is not cleaned by the schedule before this time (ms).
    var compactionRetryAt: Int64 = 0
    /// A compaction swap failed past its commit point: `segments` no longer matches the files' names,
    /// so the open files must stay open (never parked) until the partition is reopened.
    var keepsFilesOpen = false
    /// The segments' file names in `directory`.
    var files: SegmentFiles { SegmentFiles(directory: directory) }

    /// The file name of the segment with this base offset: 20 digits, as Kafka names them.
    public static func segmentFileName(baseOffset: Int64) -> String {
        SegmentFiles.logFileName(baseOffset: baseOffset)
    }

    /// The checkpoint file's name in a partition directory.
    public static let checkpointFileName = "recovery-checkpoint"

    var checkpointPath: String { "\(directory)/\(Self.checkpointFileName)" }
    var markPath: String { "\(directory)/\(AcknowledgedMark.fileName)" }

    /// Records the damage and makes the partition read-only.
    func damaged(from offset: Int64, acknowledged: Int64?, _ reason: String) {
        damage = Damage(from: offset, acknowledgedNextOffset: acknowledged, reason: reason)
        state = .readOnly(reason: reason)
        recoveryNotes.append("read-only: \(reason)")
    }

    func location(_ file: String? = nil, _ position: Int? = nil) -> LogError.Location {
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
    /// With `repair`, the ``RepairPlan`` is carried out first (see ``repairPlan(directory:fileSystem:)``);
    /// a missing partition directory (`mustExist`) is recreated, its offsets continuing at `recordedEnd`
    /// (the end its data directory recorded at the last clean stop) so that none is given out twice.
    public init(
        directory: String, fileSystem: any LogFileSystem, configuration: Configuration = Configuration(),
        cleanShutdown: Bool = false, repair: Bool = false, mustExist: Bool = false, recordedEnd: Int64 = 0
    ) throws(LogError) {
        self.directory = directory
        self.fs = fileSystem
        self.configuration = configuration
        try recoverOnOpen(cleanShutdown: cleanShutdown, repair: repair, mustExist: mustExist, recordedEnd: recordedEnd)
    }

    deinit {
        lease.close(openHandles)
    }

    /// The files the partition holds open (none when parked).
    var openHandles: [LogFileHandle] { isParked ? [] : segments.map(\.handle) + (markHandle.map { [$0] } ?? []) }

    /// File descriptors the partition holds open: one per segment and its acknowledged mark.
    public var openDescriptors: Int { isParked ? 0 : segments.count + (markHandle == nil ? 0 : 1) }

    /// Closes the partition's files when no sync is using them (data written and not yet synced stays
    /// in the page cache; a later `fdatasync` of the reopened file covers it). Returns whether it did.
    @discardableResult
    public func park() -> Bool {
        guard !isParked, !keepsFilesOpen, lease.inUse == 0, markHandle != nil else { return false }
        lease.close(openHandles)
        isParked = true
        return true
    }

    /// Opens the files of a parked partition again (every use that touches a file calls this first).
    func unpark() throws(LogError) {
        guard isParked else { return }
        var opened: [LogFileHandle] = []
        do {
            for s in segments { opened.append(try fs.open(s.path, create: false)) }
            let mark = try fs.open(markPath, create: false)
            for i in segments.indices { segments[i].handle = opened[i] }
            markHandle = mark
        } catch {
            for h in opened { fs.close(h) }
            throw error
        }
        isParked = false
        onReopen?()
    }

    /// The total bytes of the partition's segments.
    public var size: Int { segments.reduce(0) { $0 + $1.size } }

    /// The segment files, oldest first.
    public var segmentFiles: [String] { segments.map(\.path) }

    /// The first offset still stored.
    public var startOffset: Int64 { segments.first?.baseOffset ?? 0 }

    func readOnlyError() -> LogError? {
        if case .readOnly(let reason) = state { return LogError(.io, "partition is read-only: \(reason)", location: location()) }
        return nil
    }
}

/// Numbers for ``PartitionLog/generation``.
private enum Generations {
    static let last = Locked<UInt64>(0)

    static func next() -> UInt64 {
        last.withValue { last in
            last += 1
            return last
        }
    }
}
