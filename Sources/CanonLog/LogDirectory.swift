import CanonCore
import Foundation

/// A data directory: topics with partitions, each partition a ``PartitionLog``, locked by its one opener.
///
/// Layout: `DIR/.lock` (flock, holds the owner's pid), `DIR/format-version`, one `DIR/<topic>.topic`
/// file per topic (partition count and settings, one `name=value` a line), one directory per
/// partition, `DIR/<topic>-<partition>/`, as Kafka lays them out, and `DIR/.clean-shutdown` after
/// ``close()``: the next opener trusts every partition's recovery checkpoint and scans nothing, and
/// removes the marker (syncing the directory) before anything is written.
///
/// This is the synchronous engine core: one caller at a time (the concurrent front with group commit
/// across producers and a dedicated I/O thread comes on top of it).
public final class LogDirectory {
    /// The data directory's format, in the file `format-version`. What each version changed:
    /// - 1: topics, partitions, segments, index files, recovery checkpoints, the clean-shutdown marker;
    /// - 2: each partition's `acknowledged` mark and `lost-offsets` (a version 1 directory opens with
    ///   the recovery checkpoints as the acknowledged floor, and is marked version 2 once open).
    /// A directory of a newer version is refused.
    public static let formatVersion = "canon-log \(formatVersionNumber)"
    static let formatVersionNumber = 2

    /// The format version of the directory at `path` (nil when it has no `format-version` file yet);
    /// throws, naming the file, when it is unknown or newer than this build reads.
    static func readFormatVersion(_ path: String, _ fs: any LogFileSystem) throws(LogError) -> Int? {
        let file = "\(path)/format-version"
        guard fs.fileExists(file) else { return nil }
        let text = String(decoding: try fs.readAll(file), as: UTF8.self)
        guard let version = formatVersionNumber(text), version <= formatVersionNumber else {
            let what =
                formatVersionNumber(text) != nil
                ? "was written by a newer release (format '\(text.prefix(40).trimmingCharacters(in: .whitespacesAndNewlines))')"
                : "has an unknown format '\(text.prefix(40))'"
            throw LogError(
                .io, "the data directory \(what); this build reads formats up to '\(formatVersion)'", location: .init(file: file))
        }
        return version
    }

    /// The version number of a `format-version` file's text (`canon-log N`), nil when it is not one.
    static func formatVersionNumber(_ text: String) -> Int? {
        guard let line = text.split(separator: "\n", omittingEmptySubsequences: false).first, line.hasPrefix("canon-log "),
            text.utf8.count <= 64, let n = Int(line.dropFirst(10)), n >= 1
        else { return nil }
        return n
    }
    /// The clean-shutdown marker's file name.
    public static let cleanShutdownMarker = ".clean-shutdown"

    /// Caps on what one data directory holds and keeps open.
    public struct Limits: Sendable, Hashable {
        /// Most topics (internal ones included). Default 50,000.
        public var maximumTopics: Int
        /// Most partitions of all topics together. Default 100,000.
        public var maximumPartitions: Int
        /// Most files the log keeps open (each open partition holds one per segment and one for its
        /// acknowledged mark); partitions beyond it are parked, least recently used first, and reopened
        /// on use. Nil: from the process's descriptor limit (``defaultMaximumOpenFiles()``).
        public var maximumOpenFiles: Int?

        public init(maximumTopics: Int = 50_000, maximumPartitions: Int = 100_000, maximumOpenFiles: Int? = nil) {
            self.maximumTopics = maximumTopics
            self.maximumPartitions = maximumPartitions
            self.maximumOpenFiles = maximumOpenFiles
        }
    }

    /// The open-file budget from the process's descriptor limit (`RLIMIT_NOFILE`, soft): three quarters
    /// of it, the rest left for sockets and everything else (at least 32).
    public static func defaultMaximumOpenFiles() -> Int {
        max(32, PosixFileSystem.descriptorLimit() * 3 / 4)
    }

    public let path: String
    /// The caps this directory enforces (``Limits``), with the open-file budget resolved.
    public let limits: Limits
    /// Files the log keeps open at most (see ``Limits/maximumOpenFiles``).
    public let maximumOpenFiles: Int
    private let fs: any LogFileSystem
    /// The file system the directory works through.
    public var fileSystem: any LogFileSystem { fs }
    private let lockHandle: LogFileHandle
    private let repair: Bool
    /// With `repair`: each partition's next offset recorded at the last clean stop (read once).
    private let recordedEnds: [String: Int64]
    private let partitionConfiguration: PartitionLog.Configuration
    /// What opening did (recovery and repair notes), per partition directory.
    public private(set) var recoveryNotes: [String] = []
    public private(set) var topics: [String: LogTopic] = [:]
    private var logs: [String: [PartitionLog]] = [:]
    /// Round-robin position for records without a key, per topic.
    private var nextUnkeyed: [String: Int] = [:]
    /// Whether the last opener closed the directory cleanly (no partition was scanned).
    public let openedAfterCleanShutdown: Bool
    /// When each interval-policy partition was last flushed (milliseconds since the epoch).
    private var lastIntervalFlush: [PartitionKey: Int64] = [:]
    private var isClosed = false
    /// Partitions with their files open, and when each was last used (for parking the least recent).
    private var unparked: Set<PartitionKey> = []
    private var useClock: UInt64 = 0
    private var needsTrim = false
    private var markFiles: [String: HighWaterMark.File] = [:]

    /// Opens (creating when missing) a data directory: takes its lock, checks its format version, opens
    /// and recovers every partition.
    ///
    /// With `repair`, damaged partitions are cut back to their last good batch (see ``PartitionLog``).
    ///
    /// `partitionConfiguration` sets the storage settings that are not per topic (index interval,
    /// preallocation, checkpoint interval); segment size and time come from each topic.
    /// `progress` hears of each partition before it is opened.
    public init(
        path: String, fileSystem: any LogFileSystem, repair: Bool = false,
        partitionConfiguration: PartitionLog.Configuration = PartitionLog.Configuration(), limits: Limits = Limits(),
        progress: ((ProgressReport) -> Void)? = nil
    ) throws(LogError) {
        self.path = path
        self.limits = limits
        self.maximumOpenFiles = max(8, limits.maximumOpenFiles ?? Self.defaultMaximumOpenFiles())
        self.fs = fileSystem
        self.repair = repair
        recordedEnds = repair ? Self.readPartitionEnds(path, fileSystem) : [:]
        self.partitionConfiguration = partitionConfiguration
        try fs.createDirectory(path)
        lockHandle = try fs.lockExclusively("\(path)/.lock")
        let marker = "\(path)/\(Self.cleanShutdownMarker)"
        openedAfterCleanShutdown = !repair && fs.fileExists(marker)
        let versionFile = "\(path)/format-version"
        let version: Int?
        do {
            version = try Self.readFormatVersion(path, fs)
        } catch {
            fs.close(lockHandle)
            throw error
        }
        let upgradeFrom = version.flatMap { $0 < Self.formatVersionNumber ? $0 : nil }
        if version == nil { try writeDurably(versionFile, Self.formatVersion + "\n") }
        let found = try fs.contentsOfDirectory(path).sorted().filter { $0.hasSuffix(".topic") }.map { (name) throws(LogError) in
            try Self.readTopic(String(name.dropLast(6)), in: path, fileSystem: fs)
        }
        let total = found.reduce(0) { $0 + $1.partitions }
        var done = 0
        let stage = repair ? "repairing" : "recovering"
        for topic in found {
            topics[topic.name] = topic
            logs[topic.name] = []
            for p in 0..<topic.partitions {
                progress?(ProgressReport(stage: stage, done: done, total: total, unit: "partitions", item: "\(topic.name)-\(p)"))
                done += 1
                logs[topic.name]!.append(try openPartition(topic, p, exists: true))
                // Keep within the open-file budget while opening (each open leaves its files open).
                trimOpenFiles()
            }
            recoveryNotes += logs[topic.name]!.flatMap(\.recoveryNotes)
        }
        if upgradeFrom != nil { try writeDurably(versionFile, Self.formatVersion + "\n") }
        if fs.fileExists(marker) {
            // Before the first write: a crash from here on must not find a marker that vouches for it.
            try fs.remove(marker)
            try fs.syncDirectory(path)
        }
    }

    /// Stops cleanly: flushes every partition, writes index files and recovery checkpoints at the end
    /// of each log, then the clean-shutdown marker (only when every partition closed cleanly), and
    /// releases the lock. Later calls on this directory fail.
    public func close() throws(LogError) {
        guard !isClosed else { return }
        isClosed = true
        // The next opener may come once this returns, in this process or another.
        defer { fs.close(lockHandle) }
        var clean = true
        for (_, partitionLogs) in logs {
            for log in partitionLogs {
                if !log.close() { clean = false }
                log.park()  // the files are released now, not when the last reference goes
            }
        }
        for file in markFiles.values { fs.close(file.handle) }
        markFiles = [:]
        try writePartitionEnds()
        if clean { try writeDurably("\(path)/\(Self.cleanShutdownMarker)", "clean\n") }
    }

    /// The file recording each partition's next offset at the last clean stop (`topic-partition=offset`
    /// lines): what a repair of a deleted partition directory continues from. Never lowered.
    static let partitionEndsFile = "partition-ends"
    static let partitionEndsHeader = "canon-partition-ends 1"

    static func readPartitionEnds(_ path: String, _ fs: any LogFileSystem) -> [String: Int64] {
        let file = "\(path)/\(partitionEndsFile)"
        guard fs.fileExists(file), let bytes = try? fs.readAll(file),
            let pairs = SmallFile.keyValues(String(decoding: bytes, as: UTF8.self), header: partitionEndsHeader)
        else { return [:] }
        return pairs.compactMapValues { Int64($0) }
    }

    private func writePartitionEnds() throws(LogError) {
        var ends = Self.readPartitionEnds(path, fs)
        for (topic, partitionLogs) in logs {
            for (p, log) in partitionLogs.enumerated() {
                let end = max(log.nextOffset, log.damage?.acknowledgedNextOffset ?? 0)
                ends["\(topic)-\(p)"] = max(ends["\(topic)-\(p)"] ?? 0, end)
            }
        }
        // Partitions of topics deleted since go.
        let current = Set(logs.flatMap { topic, partitionLogs in partitionLogs.indices.map { "\(topic)-\($0)" } })
        ends = ends.filter { current.contains($0.key) }
        try writeDurably(
            "\(path)/\(Self.partitionEndsFile)",
            SmallFile.text(header: Self.partitionEndsHeader, ends.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }))
    }

    private func checkOpen() throws(LogError) {
        if isClosed { throw LogError(.io, "the data directory is closed", location: .init(file: path)) }
    }

    deinit {
        if !isClosed {
            for file in markFiles.values { fs.close(file.handle) }
            fs.close(lockHandle)
        }
    }

    /// Opens a partition; `exists` when its topic file says it was created (a missing directory is then
    /// damage, not a new partition).
    private func openPartition(_ topic: LogTopic, _ partition: Int, exists: Bool) throws(LogError) -> PartitionLog {
        var configuration = partitionConfiguration
        configuration.segmentBytes = topic.configuration.segmentBytes
        configuration.segmentMs = topic.configuration.segmentMs
        let log = try PartitionLog(
            directory: "\(path)/\(topic.name)-\(partition)", fileSystem: fs, configuration: configuration,
            cleanShutdown: openedAfterCleanShutdown, repair: repair, mustExist: exists,
            recordedEnd: recordedEnds["\(topic.name)-\(partition)"] ?? 0)
        let key = PartitionKey(topic: topic.name, partition: partition)
        log.onReopen = { [unowned self] in
            unparked.insert(key)
            needsTrim = true
        }
        unparked.insert(key)
        touch(log)
        needsTrim = true
        return log
    }

    /// Marks a partition as just used (parking takes the least recently used first).
    private func touch(_ log: PartitionLog) {
        useClock += 1
        log.lastUse = useClock
    }

    /// Parks the least recently used partitions (closing their files) while more than
    /// `maximumOpenFiles` are open, down to three quarters of it; partitions with a sync in flight stay.
    func trimOpenFiles() {
        guard needsTrim else { return }
        needsTrim = false
        var open: [(key: PartitionKey, log: PartitionLog)] = []
        var total = 0
        for key in unparked {
            guard let log = logs[key.topic].flatMap({ key.partition < $0.count ? $0[key.partition] : nil }), !log.isParked else {
                unparked.remove(key)
                continue
            }
            open.append((key, log))
            total += log.openDescriptors
        }
        guard total > maximumOpenFiles else { return }
        open.sort { $0.log.lastUse < $1.log.lastUse }
        for (key, log) in open {
            if total <= maximumOpenFiles * 3 / 4 { break }
            let held = log.openDescriptors
            if log.park() {
                total -= held
                unparked.remove(key)
            }
        }
    }

    private func writeDurably(_ file: String, _ text: String) throws(LogError) {
        try SmallFile.writeDurably(text, to: file, fileSystem: fs)
    }

    /// The most partitions a topic has.
    static let maximumPartitions = 10_000

    /// Reads the topic file `DIR/<name>.topic`: `partitions=N`, then the settings, one `name=value` a line.
    static func readTopic(_ name: String, in path: String, fileSystem fs: any LogFileSystem) throws(LogError) -> LogTopic {
        let (partitions, settings) = try readTopicFile(name, in: path, fileSystem: fs)
        do {
            return LogTopic(name: name, partitions: partitions, configuration: try TopicConfiguration(settings))
        } catch {
            throw LogError(error.code, error.message, location: .init(topic: name, file: "\(path)/\(name).topic"))
        }
    }

    /// A topic file's partition count and settings, as written (the settings not checked).
    static func readTopicFile(_ name: String, in path: String, fileSystem fs: any LogFileSystem) throws(LogError) -> (
        partitions: Int, settings: [String: String]
    ) {
        let file = "\(path)/\(name).topic"
        guard var settings = SmallFile.keyValues(String(decoding: try fs.readAll(file), as: UTF8.self)) else {
            throw LogError(.io, "not a topic file: every line must be name=value, each name once", location: .init(file: file))
        }
        guard let partitions = settings.removeValue(forKey: "partitions").flatMap({ Int($0) }), (1...maximumPartitions).contains(partitions)
        else {
            throw LogError(.io, "topic file has no valid partition count (1 to \(maximumPartitions))", location: .init(file: file))
        }
        return (partitions, settings)
    }

    /// Creates a topic. Names starting with `_` are internal and need `isInternal: true`.
    public func createTopic(
        _ name: String, partitions: Int, configuration: TopicConfiguration = TopicConfiguration(), isInternal: Bool = false
    ) throws(LogError) {
        try checkOpen()
        try TopicName.validate(name)
        guard TopicName.isInternal(name) == isInternal else {
            let why = isInternal ? "internal topic names start with '_'" : "topic names starting with '_' are reserved for internal topics"
            throw LogError(.invalidTopicName, why, location: .init(topic: name))
        }
        guard topics[name] == nil else { throw LogError(.topicExists, "topic '\(name)' already exists", location: .init(topic: name)) }
        guard (1...Self.maximumPartitions).contains(partitions) else {
            throw LogError(
                .invalidConfiguration, "a topic has 1 to \(Self.maximumPartitions) partitions, not \(partitions)",
                location: .init(topic: name))
        }
        for (key, value) in configuration.settings where !SmallFile.fits(key: key, value: value) {
            throw LogError(.invalidConfiguration, "setting '\(key)' cannot contain a line break or '='", location: .init(topic: name))
        }
        guard topics.count < limits.maximumTopics else {
            throw LogError(
                .invalidConfiguration, "the data directory holds \(topics.count) topics, its limit (\(limits.maximumTopics))",
                location: .init(topic: name))
        }
        let held = topics.values.reduce(0) { $0 + $1.partitions }
        guard held + partitions <= limits.maximumPartitions else {
            throw LogError(
                .invalidConfiguration,
                "\(partitions) more partitions would make \(held + partitions), past the data directory's limit of \(limits.maximumPartitions)",
                location: .init(topic: name))
        }
        let topic = LogTopic(name: name, partitions: partitions, configuration: configuration)
        let text = Self.topicFileText(topic)
        // Partitions first, the topic file last: a crash in between leaves no half-made topic visible.
        // A failure removes what was made: creation is all or nothing.
        var made: [PartitionLog] = []
        do {
            for p in 0..<partitions {
                made.append(try openPartition(topic, p, exists: false))
                logs[name] = made  // so that trimming finds the partitions made so far
                trimOpenFiles()
            }
            try fs.syncDirectory(path)
            try writeDurably("\(path)/\(name).topic", text)
        } catch {
            logs[name] = nil
            for p in made.indices { unparked.remove(PartitionKey(topic: name, partition: p)) }
            made.removeAll()
            for p in 0..<partitions { removePartitionDirectory("\(path)/\(name)-\(p)") }
            // The topic file too, when only the directory sync after its rename failed.
            for file in ["\(path)/\(name).topic", "\(path)/\(name).topic.tmp"] where fs.fileExists(file) { try? fs.remove(file) }
            try? fs.syncDirectory(path)
            throw error
        }
        topics[name] = topic
        logs[name] = made
    }

    /// Raises a topic's partition count to `count` (Kafka's CreatePartitions): the new partitions start
    /// empty, the others are untouched; keyed records map by the new count from then on, as in Kafka.
    /// The new partitions' directories are made first and the topic file rewritten last, so a crash or a
    /// failure in between leaves the topic as it was (a directory no topic file counts holds nothing
    /// acknowledged, and is made afresh by the next attempt). Internal topics keep their partitions.
    @discardableResult
    public func addPartitions(topic name: String, count: Int) throws(LogError) -> LogTopic {
        try checkOpen()
        guard var topic = topics[name], let existing = logs[name] else {
            throw LogError(.unknownTopic, "no topic '\(name)'", location: .init(topic: name))
        }
        guard !TopicName.isInternal(name) else {
            throw LogError(.invalidPartitions, "internal topic '\(name)' keeps its partitions", location: .init(topic: name))
        }
        guard count > topic.partitions else {
            throw LogError(
                .invalidPartitions,
                "topic '\(name)' has \(topic.partitions) partitions; the count can only go up, not to \(count)",
                location: .init(topic: name))
        }
        let held = topics.values.reduce(0) { $0 + $1.partitions }
        guard count <= Self.maximumPartitions, held - topic.partitions + count <= limits.maximumPartitions else {
            throw LogError(
                .invalidPartitions,
                "\(count) partitions would pass the limit (\(Self.maximumPartitions) a topic, \(limits.maximumPartitions) in the data directory, \(held) held)",
                location: .init(topic: name))
        }
        let added = topic.partitions..<count
        topic.partitions = count
        var made: [PartitionLog] = []
        do {
            for p in added {
                removePartitionDirectory("\(path)/\(name)-\(p)")  // left by an attempt that crashed before the topic file
                made.append(try openPartition(topic, p, exists: false))
                logs[name] = existing + made
                trimOpenFiles()
            }
            try fs.syncDirectory(path)
            try writeDurably("\(path)/\(name).topic", Self.topicFileText(topic))
        } catch {
            // The new directories stay: if the topic file's rename reached the disk before the failure,
            // the next open needs them; if not, they hold nothing and the next attempt makes them afresh.
            logs[name] = existing
            for p in added { unparked.remove(PartitionKey(topic: name, partition: p)) }
            made.removeAll()
            throw error
        }
        topics[name] = topic
        logs[name] = existing + made
        return topic
    }

    /// Removes a partition directory and its files, as far as it can (cleaning up after a failure).
    private func removePartitionDirectory(_ directory: String) {
        guard fs.fileExists(directory) else { return }
        for file in (try? fs.contentsOfDirectory(directory)) ?? [] { try? fs.remove("\(directory)/\(file)") }
        try? fs.removeDirectory(directory)
    }

    private static func topicFileText(_ topic: LogTopic) -> String {
        SmallFile.text(
            [("partitions", "\(topic.partitions)")] + topic.configuration.settings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// Changes one setting of a topic (written durably; `segment.bytes` and `segment.ms` apply to the
    /// partitions from the next open). Internal topics cannot be reconfigured.
    public func setConfiguration(topic name: String, _ setting: String, _ value: String) throws(LogError) {
        try checkOpen()
        guard var topic = topics[name] else { throw LogError(.unknownTopic, "no topic '\(name)'", location: .init(topic: name)) }
        guard !TopicName.isInternal(name) else {
            throw LogError(.invalidConfiguration, "internal topic '\(name)' cannot be reconfigured", location: .init(topic: name))
        }
        guard SmallFile.fits(key: setting, value: value) else {
            throw LogError(.invalidConfiguration, "setting '\(setting)' cannot contain a line break or '='", location: .init(topic: name))
        }
        try topic.configuration.set(setting, value)
        try writeDurably("\(path)/\(name).topic", Self.topicFileText(topic))
        topics[name] = topic
    }

    /// Deletes a topic and its data. Internal topics cannot be deleted.
    public func deleteTopic(_ name: String) throws(LogError) {
        try checkOpen()
        guard let logs = logs[name] else { throw LogError(.unknownTopic, "no topic '\(name)'", location: .init(topic: name)) }
        guard !TopicName.isInternal(name) else {
            throw LogError(.invalidTopicName, "internal topic '\(name)' cannot be deleted", location: .init(topic: name))
        }
        try fs.remove("\(path)/\(name).topic")
        try fs.syncDirectory(path)
        topics[name] = nil
        self.logs[name] = nil
        for log in logs { try log.removeFiles() }
        try fs.syncDirectory(path)
    }

    private func partitionLogs(_ topic: String) throws(LogError) -> [PartitionLog] {
        try checkOpen()
        guard let logs = logs[topic] else { throw LogError(.unknownTopic, "no topic '\(topic)'", location: .init(topic: topic)) }
        return logs
    }

    /// A partition of a topic.
    public struct PartitionKey: Hashable, Sendable {
        public var topic: String
        public var partition: Int

        public init(topic: String, partition: Int) {
            self.topic = topic
            self.partition = partition
        }
    }

    /// Records written but not yet committed: where each record went, which partitions need a flush
    /// before the append is durable, and which could use one that nobody waits for (a recovery
    /// checkpoint is due under the `never` or `interval` policy).
    public struct StagedAppend: Sendable {
        public var placements: [(partition: Int, offset: Int64)]
        public var partitions: Set<PartitionKey>
        public var backgroundFlushes: Set<PartitionKey> = []
    }

    /// Appends records: keyed records go to `(murmur2(key) & 0x7fffffff) % partitions`, records without a
    /// key round-robin, one batch per partition; made durable (and visible) under the topic's flush
    /// policy before this returns. Returns each record's partition and offset, in input order.
    ///
    /// When a flush fails, this append's batches are also cut back from the files (best effort: the
    /// partition is read-only, its sync broken): a restart without a power cut then does not bring back
    /// records whose append failed.
    public func append(topic: String, records: [LogRecord]) throws(LogError) -> [(partition: Int, offset: Int64)] {
        let staged = try stage(topic: topic, records: records)
        _ = commit(staged.backgroundFlushes)  // not part of this append's promise
        if let (_, error) = commit(staged.partitions).first {
            for key in staged.partitions {
                let first = staged.placements.filter { $0.partition == key.partition }.map(\.offset).min()
                if let first, let log = logs[key.topic]?[key.partition], log.durableNextOffset <= first { try? log.rollBack(to: first) }
            }
            throw error
        }
        return staged.placements
    }

    /// The partition of each record: keyed records by Kafka's murmur2 rule, the others round-robin
    /// (`nextUnkeyed` is the round-robin position, advanced).
    public static func assignPartitions(_ records: [LogRecord], partitions: Int, nextUnkeyed: inout Int) -> [Int] {
        records.map { record in
            if let key = record.key { return KafkaPartitioner.partition(key: key, partitions: partitions) }
            defer { nextUnkeyed = (nextUnkeyed + 1) % partitions }
            return nextUnkeyed % partitions
        }
    }

    /// Records grouped into one batch per partition, in input order within each; `indexes` are the
    /// records' places in the append.
    public struct PartitionBatch: Sendable {
        public var partition: Int
        public var records: [LogRecord]
        public var indexes: [Int]
        /// The records encoded by the producer (used unless the topic stamps LogAppendTime).
        public var prepared: PreparedBatch?
        /// An idempotent producer's fields, kept in the stored batch's header.
        public var producer: ProducerFields?

        public init(partition: Int, records: [LogRecord], indexes: [Int], prepared: PreparedBatch? = nil, producer: ProducerFields? = nil) {
            self.partition = partition
            self.records = records
            self.indexes = indexes
            self.prepared = prepared
            self.producer = producer
        }

        /// Groups `records` by their assigned partitions.
        public static func group(_ records: [LogRecord], partitions assigned: [Int]) -> [PartitionBatch] {
            var byPartition: [Int: PartitionBatch] = [:]
            for (i, (record, p)) in zip(records, assigned).enumerated() {
                byPartition[p, default: PartitionBatch(partition: p, records: [], indexes: [])].records.append(record)
                byPartition[p]!.indexes.append(i)
            }
            return byPartition.values.sorted { $0.partition < $1.partition }
        }
    }

    /// The first half of an append: writes the batches without making them durable or visible. Several
    /// staged appends share one sync per partition: ``commit(_:)`` here, the engine's background syncs in
    /// ``LogEngine``. A failure leaves nothing of this append behind.
    public func stage(topic: String, records: [LogRecord]) throws(LogError) -> StagedAppend {
        let logs = try partitionLogs(topic)
        var next = nextUnkeyed[topic, default: 0]
        let assigned = Self.assignPartitions(records, partitions: logs.count, nextUnkeyed: &next)
        nextUnkeyed[topic] = next
        return try stage(topic: topic, batches: PartitionBatch.group(records, partitions: assigned), count: records.count)
    }

    /// Stages batches already grouped by partition (``LogEngine`` partitions and validates on the
    /// caller's task). `count` is the number of records in the append.
    public func stage(topic: String, batches: [PartitionBatch], count: Int, now: Int64? = nil) throws(LogError) -> StagedAppend {
        let logs = try partitionLogs(topic)
        let config = topics[topic]!.configuration
        for batch in batches where batch.partition < 0 || batch.partition >= logs.count {
            throw LogError(
                .partitionOutOfRange, "topic '\(topic)' has partitions 0..<\(logs.count), not \(batch.partition)",
                location: .init(topic: topic, partition: batch.partition))
        }
        let appendTime = config.messageTimestampType == "LogAppendTime" ? (now ?? Self.currentTimeMillis()) : nil
        var placements = [(partition: Int, offset: Int64)](repeating: (0, 0), count: count)
        var touched = Set<PartitionKey>()
        var written: [(log: PartitionLog, partition: Int, from: Int64)] = []
        for batch in batches where !batch.records.isEmpty {
            let p = batch.partition
            let offsets: ClosedRange<Int64>
            do {
                if let prepared = batch.prepared, appendTime == nil {
                    offsets = try logs[p].append(prepared, maxBatchBytes: config.maxMessageBytes)
                } else {
                    var records = batch.records
                    if let appendTime { for i in records.indices { records[i].timestamp = appendTime } }
                    offsets = try logs[p].append(records, maxBatchBytes: config.maxMessageBytes, producer: batch.producer)
                }
            } catch {
                // Take back what this append wrote to other partitions: all of it or nothing.
                for w in written { try? w.log.rollBack(to: w.from) }
                throw LogError(
                    error.code, error.message,
                    location: .init(topic: topic, partition: p, file: error.location.file, position: error.location.position))
            }
            written.append((logs[p], p, offsets.lowerBound))
            touched.insert(PartitionKey(topic: topic, partition: p))
            touch(logs[p])
            for (k, i) in batch.indexes.enumerated() { placements[i] = (p, offsets.lowerBound + Int64(k)) }
        }
        var background = Set<PartitionKey>()
        if config.flushPolicy != .groupCommit {
            for w in written {
                w.log.publishWithoutSync()
                if w.log.checkpointDue { background.insert(PartitionKey(topic: topic, partition: w.partition)) }
            }
            touched = []
        }
        trimOpenFiles()
        return StagedAppend(placements: placements, partitions: touched, backgroundFlushes: background)
    }

    /// Milliseconds since the epoch.
    public static func currentTimeMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// The second half: one `fdatasync` per partition covers every batch staged since the last commit.
    /// Returns the partitions whose flush failed (they are read-only now), with the error.
    /// The fdatasyncs of different partitions run in parallel (they are independent files; the disk
    /// merges them).
    public func commit(_ partitions: Set<PartitionKey>) -> [PartitionKey: LogError] {
        let targets = partitions.compactMap { key -> (PartitionKey, PartitionLog)? in
            guard let partitionLogs = logs[key.topic], key.partition < partitionLogs.count else { return nil }
            return (key, partitionLogs[key.partition])
        }
        var results = [LogError?](repeating: nil, count: targets.count)
        // Parked partitions reopen here, one at a time (reopening updates this directory's tables), not
        // inside the parallel flushes.
        for (i, target) in targets.enumerated() {
            do throws(LogError) { try target.1.unpark() } catch { results[i] = error }
        }
        if targets.count == 1 {
            if results[0] == nil {
                do { try targets[0].1.flush() } catch { results[0] = error }
            }
        } else if targets.count > 1 {
            results.withUnsafeMutableBufferPointer { slots in
                let slots = SendableSlots(slots)
                let flushers = targets.map { SendableFlush(log: $0.1) }
                DispatchQueue.concurrentPerform(iterations: flushers.count) { i in
                    guard slots.buffer[i] == nil else { return }
                    do throws(LogError) { try flushers[i].log.flush() } catch { slots.buffer[i] = error }
                }
            }
        }
        var failures: [PartitionKey: LogError] = [:]
        for (i, error) in results.enumerated() { if let error { failures[targets[i].0] = error } }
        return failures
    }

    /// The partitions of `interval`-policy topics whose `flush.ms` has passed since their last flush
    /// (counted as flushed from `now`): the caller flushes them (``commit(_:)``, or the engine's syncs).
    public func intervalFlushesDue(now: Int64) -> Set<PartitionKey> {
        var due = Set<PartitionKey>()
        for (name, topic) in topics where topic.configuration.flushPolicy == .interval {
            for p in 0..<topic.partitions {
                let key = PartitionKey(topic: name, partition: p)
                let last = lastIntervalFlush[key] ?? 0
                if now - last >= topic.configuration.flushMs {
                    due.insert(key)
                    lastIntervalFlush[key] = now
                }
            }
        }
        return due
    }

    /// The `flush.ms` of the interval-policy topic due soonest, if any.
    public var shortestFlushInterval: Int64? {
        topics.values.filter { $0.configuration.flushPolicy == .interval }.map(\.configuration.flushMs).min()
    }

    /// The first offset of a partition whose record's timestamp is at or after `timestamp`, or nil.
    public func offset(topic: String, partition: Int, forTimestamp timestamp: Int64) throws(LogError) -> Int64? {
        defer { trimOpenFiles() }
        return try partitionLog(topic, partition).offset(forTimestamp: timestamp)
    }

    /// Checks a data directory without opening (recovering) it: takes its lock, then checks every
    /// partition's batches (CRC, offsets, continuity) and index files (see
    /// ``PartitionLog/verifyFiles(directory:fileSystem:)``). Returns the number of
    /// batches and the problems, each naming the file and position.
    /// `progress` hears of each partition before it is checked.
    public static func verify(path: String, fileSystem fs: any LogFileSystem, progress: ((ProgressReport) -> Void)? = nil) throws(LogError)
        -> (batches: Int, problems: [String])
    {
        let lock = try fs.lockExclusively("\(path)/.lock")
        defer { fs.close(lock) }
        _ = try readFormatVersion(path, fs)
        var batches = 0
        var problems: [String] = []
        var topics: [(name: String, partitions: Int)] = []
        for file in try fs.contentsOfDirectory(path).sorted() where file.hasSuffix(".topic") {
            let name = String(file.dropLast(6))
            do {
                topics.append((name, try readTopicFile(name, in: path, fileSystem: fs).partitions))
                _ = try readTopic(name, in: path, fileSystem: fs)  // its settings too; the data is checked anyway
            } catch {
                problems.append(error.description)
            }
        }
        let total = topics.reduce(0) { $0 + $1.partitions }
        var done = 0
        for topic in topics {
            for p in 0..<topic.partitions {
                progress?(ProgressReport(stage: "verifying", done: done, total: total, unit: "partitions", item: "\(topic.name)-\(p)"))
                done += 1
                let dir = "\(path)/\(topic.name)-\(p)"
                guard fs.fileExists(dir) else {
                    problems.append("\(dir): partition directory missing")
                    continue
                }
                let result = try PartitionLog.verifyFiles(directory: dir, fileSystem: fs)
                batches += result.batches
                problems += result.problems
            }
        }
        return (batches, problems)
    }

    /// A high-water mark kept in this directory (see ``RecordLog/highWaterMark(_:)``).
    public func highWaterMark(_ name: String) throws(LogError) -> Int64 {
        try markFile(name).value
    }

    /// Raises a high-water mark durably (see ``RecordLog/raiseHighWaterMark(_:to:)``).
    public func raiseHighWaterMark(_ name: String, to value: Int64) throws(LogError) {
        try markFile(name).raise(to: value, fs)
    }

    /// The open file of a high-water mark (opened on first use, kept open until `close`).
    private func markFile(_ name: String) throws(LogError) -> HighWaterMark.File {
        try checkOpen()
        if let open = markFiles[name] { return open }
        try TopicName.validate(name)
        let file = try HighWaterMark.File(name, in: path, fs)
        markFiles[name] = file
        return file
    }

    /// What `repair` would do, per damaged partition, without changing anything (the lines of each
    /// ``RepairPlan``, or the note that a partition directory is missing). Takes the directory's lock.
    /// `progress` hears of each partition before it is checked.
    public static func repairPlans(path: String, fileSystem fs: any LogFileSystem, progress: ((ProgressReport) -> Void)? = nil)
        throws(LogError) -> [(partition: String, lines: [String], losesAcknowledgedRecords: Bool)]
    {
        let lock = try fs.lockExclusively("\(path)/.lock")
        defer { fs.close(lock) }
        _ = try readFormatVersion(path, fs)
        let recordedEnds = readPartitionEnds(path, fs)
        var plans: [(partition: String, lines: [String], losesAcknowledgedRecords: Bool)] = []
        let topics = try fs.contentsOfDirectory(path).sorted().filter { $0.hasSuffix(".topic") }.map { (file) throws(LogError) in
            let name = String(file.dropLast(6))
            return (name, try readTopicFile(name, in: path, fileSystem: fs).partitions)
        }
        let total = topics.reduce(0) { $0 + $1.1 }
        var done = 0
        for (name, partitions) in topics {
            for p in 0..<partitions {
                progress?(ProgressReport(stage: "checking", done: done, total: total, unit: "partitions", item: "\(name)-\(p)"))
                done += 1
                let dir = "\(path)/\(name)-\(p)"
                guard fs.fileExists(dir) else {
                    let end = recordedEnds["\(name)-\(p)"] ?? 0
                    let offsets =
                        end > 0
                        ? "its offsets continue at \(end), the end recorded at the last clean stop (records given out after it, if any, are not known)"
                        : "its offsets restart at 0 (no end was recorded: the offsets given out before are not known)"
                    plans.append(
                        (
                            "\(name)-\(p)",
                            ["\(dir): the partition directory is missing", "  it is recreated empty: every record is lost; \(offsets)"],
                            true
                        ))
                    continue
                }
                if let plan = try PartitionLog.repairPlan(directory: dir, fileSystem: fs) {
                    plans.append(("\(name)-\(p)", plan.lines, plan.losesAcknowledgedRecords))
                }
            }
        }
        return plans
    }

    /// Visible batches of a partition from `offset` on, up to about `maxBytes`.
    public func read(topic: String, partition: Int, from offset: Int64, maxBytes: Int = 1 << 20) throws(LogError) -> [RecordBatch] {
        let log = try partitionLog(topic, partition)
        touch(log)
        defer { trimOpenFiles() }
        do {
            return try log.read(from: offset, maxBytes: maxBytes)
        } catch {
            throw LogError(
                error.code, error.message,
                location: .init(topic: topic, partition: partition, file: error.location.file, position: error.location.position))
        }
    }

    /// The partition's status and, when `offset` is visible (from its start to its visible end), its
    /// stored batches from `offset` on, up to about `maxBytes`: both read at the same moment.
    public func readStored(topic: String, partition: Int, from offset: Int64, maxBytes: Int) throws(LogError) -> StoredRead {
        let log = try partitionLog(topic, partition)
        let status = PartitionStatus(
            startOffset: log.startOffset, visibleEndOffset: log.durableNextOffset, nextOffset: log.nextOffset, state: log.state)
        guard offset >= status.startOffset, offset < status.visibleEndOffset, maxBytes > 0 else {
            return StoredRead(status: status, batches: [])
        }
        touch(log)
        defer { trimOpenFiles() }
        do {
            return StoredRead(status: status, batches: try log.readStored(from: offset, maxBytes: maxBytes))
        } catch {
            throw LogError(
                error.code, error.message,
                location: .init(topic: topic, partition: partition, file: error.location.file, position: error.location.position))
        }
    }

    /// The partition's log (for the engine's committer).
    public func partitionLog(_ topic: String, _ partition: Int) throws(LogError) -> PartitionLog {
        let logs = try partitionLogs(topic)
        guard partition >= 0 && partition < logs.count else {
            throw LogError(
                .partitionOutOfRange, "topic '\(topic)' has partitions 0..<\(logs.count), not \(partition)",
                location: .init(topic: topic, partition: partition))
        }
        return logs[partition]
    }

    /// Applies the `retention.ms` and `retention.bytes` of every topic whose `cleanup.policy` has `delete`:
    /// deletes whole old segments. Returns the removed files.
    @discardableResult
    public func enforceRetention(now: Int64) throws(LogError) -> [String] {
        var removed: [String] = []
        for (name, topic) in topics.sorted(by: { $0.key < $1.key })
        where !TopicName.isInternal(name) && topic.configuration.cleanupPolicy.delete {
            for log in logs[name] ?? [] {
                removed += try log.enforceRetention(
                    now: now, retentionMs: topic.configuration.retentionMs, retentionBytes: topic.configuration.retentionBytes)
            }
        }
        return removed
    }

    // MARK: - Compaction

    /// Cleanings due now: every partition of a topic whose `cleanup.policy` has `compact` (internal ones
    /// included) whose dirty share reached its `min.cleanable.dirty.ratio`.
    public func compactionJobs(now: Int64) -> [(key: PartitionKey, job: CompactionJob)] {
        var jobs: [(key: PartitionKey, job: CompactionJob)] = []
        for (name, topic) in topics.sorted(by: { $0.key < $1.key }) where topic.configuration.cleanupPolicy.compact {
            for (p, log) in (logs[name] ?? []).enumerated() {
                if let job = log.compactionJob(now: now, configuration: topic.configuration, force: false) {
                    jobs.append((PartitionKey(topic: name, partition: p), job))
                }
            }
        }
        return jobs
    }

    /// A cleaning of one partition of a compacted topic whatever its dirty share, or nil when nothing
    /// sealed is dirty or one is running.
    public func compactionJob(topic: String, partition: Int, now: Int64) throws(LogError) -> CompactionJob? {
        let log = try partitionLog(topic, partition)
        guard let configuration = topics[topic]?.configuration, configuration.cleanupPolicy.compact else {
            throw LogError(
                .invalidConfiguration,
                "topic '\(topic)' is not compacted (cleanup.policy=\(topics[topic]?.configuration.cleanupPolicy.name ?? "?"))",
                location: .init(topic: topic))
        }
        return log.compactionJob(now: now, configuration: configuration, force: true)
    }

    /// Swaps a finished cleaning in (or drops it when its partition changed or is gone).
    public func applyCompaction(_ key: PartitionKey, _ output: CompactionOutput) throws(LogError) -> CompactionReport? {
        guard let log = logs[key.topic].flatMap({ key.partition < $0.count ? $0[key.partition] : nil }),
            log.generation == output.job.generation
        else {
            output.discard()
            return nil
        }
        touch(log)
        defer { trimOpenFiles() }
        do {
            return try log.applyCompaction(output)
        } catch {
            throw LogError(
                error.code, error.message,
                location: .init(topic: key.topic, partition: key.partition, file: error.location.file, position: error.location.position))
        }
    }

    /// How long the schedule leaves a partition alone after its cleaning failed (5 minutes).
    public static let compactionRetryDelayMs: Int64 = 300_000

    /// A cleaning that was cancelled, or failed at `failedAt` (then the schedule retries it only after
    /// ``compactionRetryDelayMs``): the partition may be cleaned again.
    public func compactionEnded(_ key: PartitionKey, generation: UInt64, failedAt: Int64?) {
        guard let log = logs[key.topic].flatMap({ key.partition < $0.count ? $0[key.partition] : nil }), log.generation == generation
        else { return }
        log.cleaning = nil
        if let failedAt { log.compactionRetryAt = failedAt + Self.compactionRetryDelayMs }
    }

    /// Each partition's offsets and state, in partition order.
    public func partitions(of topic: String) throws(LogError) -> [PartitionStatus] {
        try partitionLogs(topic).map {
            PartitionStatus(startOffset: $0.startOffset, visibleEndOffset: $0.durableNextOffset, nextOffset: $0.nextOffset, state: $0.state)
        }
    }
}

/// Lets `commit` hand each flush to its own thread: every iteration touches only its own slot and its
/// own partition.
// @unchecked Sendable: iteration i writes only buffer[i], and the buffer outlives concurrentPerform.
private struct SendableSlots: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<LogError?>
    init(_ buffer: UnsafeMutableBufferPointer<LogError?>) { self.buffer = buffer }
}

// @unchecked Sendable: a PartitionLog is used by one thread at a time; commit gives each partition to
// exactly one iteration of concurrentPerform and waits for all of them.
private struct SendableFlush: @unchecked Sendable {
    let log: PartitionLog
}
