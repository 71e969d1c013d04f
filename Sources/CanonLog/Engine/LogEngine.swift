import CanonCore
import Foundation

/// The concurrent front of a data directory: any number of tasks append and read at once; every file
/// call runs on one dedicated I/O thread (never on the cooperative pool), which drains the queued
/// appends, writes all their batches, then makes them durable with one `fdatasync` per partition
/// (group commit; the syncs of different partitions run in parallel) and only then answers each
/// appender.
///
/// Records are assigned to partitions and validated on the caller's task; an append with any rejected
/// record is refused whole, naming each rejected record, and nothing of it is written.
///
/// A flush that fails fails every append waiting on that partition (and takes their bytes back); the
/// partition stays read-only until the directory is opened again. The I/O thread also flushes
/// `interval`-policy topics every `flush.ms` (through the same background syncs) and applies retention
/// every ``Configuration/retentionCheckIntervalMs``.
public final class LogEngine: RecordLog {
    /// Engine settings that are not per topic.
    public struct Configuration: Sendable {
        /// How often retention runs (Kafka's `log.retention.check.interval.ms`, 5 minutes).
        public var retentionCheckIntervalMs: Int64 = 300_000
        /// How often the cleaner looks for compacted partitions due a cleaning (Kafka's
        /// `log.cleaner.backoff.ms`, 15 s).
        public var compactionCheckIntervalMs: Int64 = 15_000
        /// Storage settings for every partition (segment size and time come from each topic).
        public var partition = PartitionLog.Configuration()
        /// The clock, in milliseconds since the epoch (tests move it).
        public var now: @Sendable () -> Int64 = { LogDirectory.currentTimeMillis() }
        /// Caps on topics, partitions and open files.
        public var limits = LogDirectory.Limits()

        public init() {}
    }

    private let worker: IOThread
    private let configuration: Configuration
    private let validator: (any RecordValidator)?
    private let topics: TopicTable
    /// What opening the directory did (recovery scans, truncated torn tails, read-only partitions).
    public let recoveryNotes: [String]
    /// Files the log keeps open at most (partitions beyond are parked and reopened on use).
    public let maximumOpenFiles: Int

    /// Opens (and recovers) the data directory and starts the I/O thread. `validator` checks every
    /// record appended to a non-internal topic.
    public init(
        path: String, fileSystem: any LogFileSystem, validator: (any RecordValidator)? = nil,
        configuration: Configuration = Configuration()
    ) throws(LogError) {
        let directory = try LogDirectory(
            path: path, fileSystem: fileSystem, partitionConfiguration: configuration.partition, limits: configuration.limits)
        maximumOpenFiles = directory.maximumOpenFiles
        topics = TopicTable()
        topics.refresh(from: directory)
        recoveryNotes = directory.recoveryNotes
        worker = IOThread(directory: directory, configuration: configuration)
        self.configuration = configuration
        self.validator = validator
        let thread = Thread { [worker] in worker.run() }
        thread.name = "canon-log-io"
        thread.start()
    }

    public func append(topic: String, records: [LogRecord]) async throws(LogError) -> [(partition: Int, offset: Int64)] {
        try refuseInternal(topic)
        guard !records.isEmpty else { return [] }
        var batches = try topics.assign(topic: topic, records: records)
        try validate(topic: topic, batches)
        prepare(topic: topic, &batches)
        return try await submit(.init(topic: topic, batches: batches, count: records.count))
    }

    public func append(topic: String, partition: Int, records: [LogRecord]) async throws(LogError) -> [(partition: Int, offset: Int64)] {
        try await append(topic: topic, partition: partition, records: records, producer: nil, encoded: nil)
    }

    public func append(topic: String, partition: Int, records: [LogRecord], producer: ProducerFields?, encoded: PreparedBatch?)
        async throws(LogError) -> [(partition: Int, offset: Int64)]
    {
        try await startAppend(topic: topic, partition: partition, records: records, producer: producer, encoded: encoded).result()
    }

    public func startAppend(topic: String, partition: Int, records: [LogRecord], producer: ProducerFields?, encoded: PreparedBatch?)
        throws(LogError) -> PendingAppend
    {
        try refuseInternal(topic)
        guard !records.isEmpty else { return PendingAppend(.success([])) }
        guard topics.configuration(topic) != nil else {
            throw LogError(.unknownTopic, "no topic '\(topic)'", location: .init(topic: topic))
        }
        var batches = [
            LogDirectory.PartitionBatch(
                partition: partition, records: records, indexes: Array(records.indices), prepared: encoded, producer: producer)
        ]
        try validate(topic: topic, batches)
        prepare(topic: topic, &batches)
        let pending = PendingAppend()
        worker.enqueue(.append(.init(topic: topic, batches: batches, count: records.count), pending))
        return pending
    }

    public func appendToInternalTopic(_ topic: String, partition: Int, records: [LogRecord], expectedNextOffset: Int64)
        async throws(LogError)
        -> [(partition: Int, offset: Int64)]
    {
        guard TopicName.isInternal(topic) else {
            throw LogError(.invalidTopicName, "'\(topic)' is not an internal topic", location: .init(topic: topic))
        }
        guard !records.isEmpty else { return [] }
        var batches = [LogDirectory.PartitionBatch(partition: partition, records: records, indexes: Array(records.indices))]
        prepare(topic: topic, &batches)
        return try await submit(.init(topic: topic, batches: batches, count: records.count, expectedNextOffset: expectedNextOffset))
    }

    /// Encodes the batches here, on the caller's task, unless the topic stamps LogAppendTime (then the
    /// I/O thread encodes them with its clock).
    private func prepare(topic: String, _ batches: inout [LogDirectory.PartitionBatch]) {
        guard !topics.stampsAppendTime(topic) else { return }
        for i in batches.indices where batches[i].prepared == nil {
            batches[i].prepared = PreparedBatch(records: batches[i].records, producer: batches[i].producer)
        }
    }

    /// Internal topics (`_schemas`) are written by their owners (``appendToInternalTopic(_:partition:records:expectedNextOffset:)``) only.
    private func refuseInternal(_ topic: String) throws(LogError) {
        if TopicName.isInternal(topic) {
            throw LogError(
                .invalidTopicName, "'\(topic)' is an internal topic: producers cannot write to it", location: .init(topic: topic))
        }
    }

    private func validate(topic: String, _ batches: [LogDirectory.PartitionBatch]) throws(LogError) {
        let configuration = topics.configuration(topic) ?? TopicConfiguration()
        let compacted = configuration.cleanupPolicy.compact
        guard validator != nil || compacted else { return }
        var rejections: [RecordRejection] = []
        var partitions: [Int] = []
        for batch in batches {
            var found =
                validator?.validate(topic: topic, configuration: configuration, partition: batch.partition, records: batch.records) ?? []
            if compacted {
                // As Kafka: compaction keeps the last record per key, so a record without one has no place.
                for (i, record) in batch.records.enumerated() where record.key == nil && !found.contains(where: { $0.index == i }) {
                    found.append(
                        RecordRejection(
                            index: i, reason: "a compacted topic (cleanup.policy=compact) takes only records with a key", part: "key"))
                }
            }
            for var r in found where r.index >= 0 && r.index < batch.indexes.count {
                r.index = batch.indexes[r.index]
                rejections.append(r)
            }
            if !found.isEmpty { partitions.append(batch.partition) }
        }
        guard !rejections.isEmpty else { return }
        rejections.sort { $0.index < $1.index }
        let total = batches.reduce(0) { $0 + $1.records.count }
        let listed = rejections.prefix(5).map { "record \($0.index): \($0.reason)" }.joined(separator: "; ")
        var error = LogError(
            .invalidRecord,
            "\(rejections.count) of \(total) record(s) rejected, nothing written: \(listed)\(rejections.count > 5 ? "; …" : "")",
            location: .init(topic: topic, partition: partitions.count == 1 ? partitions[0] : nil))
        error.rejections = rejections
        throw error
    }

    private func submit(_ append: IOThread.Append) async throws(LogError) -> [(partition: Int, offset: Int64)] {
        let pending = PendingAppend()
        worker.enqueue(.append(append, pending))
        return try await pending.result()
    }

    /// Runs `body` with the directory on the I/O thread, and answers its result. A body that may change
    /// the topics says so: the table the appenders read is refreshed before the answer (the caller may
    /// append to a new topic next).
    func withDirectory<R: Sendable>(changingTopics: Bool = false, _ body: @escaping @Sendable (LogDirectory) throws(LogError) -> R)
        async throws(LogError) -> R
    {
        let result = await withCheckedContinuation { [topics] (continuation: CheckedContinuation<Result<R, LogError>, Never>) in
            worker.enqueue(
                .other(
                    run: { directory in
                        let result: Result<R, LogError>
                        do throws(LogError) { result = .success(try body(directory)) } catch { result = .failure(error) }
                        if changingTopics { topics.refresh(from: directory) }
                        continuation.resume(returning: result)
                    }, changesTopics: changingTopics,
                    cancel: { continuation.resume(returning: .failure(($0 as? LogError) ?? LogError(.io, "\($0)"))) }))
        }
        return try result.get()
    }

    public func topics() async throws(LogError) -> [LogTopic] {
        try await withDirectory { directory throws(LogError) in directory.topics.values.sorted { $0.name < $1.name } }
    }

    public func createTopic(_ name: String, partitions: Int, configuration: TopicConfiguration, isInternal: Bool) async throws(LogError)
        -> LogTopic
    {
        if !isInternal { try validator?.checkSettings(configuration.settings) }
        return try await withDirectory(changingTopics: true) { directory throws(LogError) in
            try directory.createTopic(name, partitions: partitions, configuration: configuration, isInternal: isInternal)
            return directory.topics[name]!
        }
    }

    public func deleteTopic(_ name: String) async throws(LogError) {
        try await withDirectory(changingTopics: true) { directory throws(LogError) in try directory.deleteTopic(name) }
    }

    public func setConfiguration(topic: String, _ setting: String, _ value: String) async throws(LogError) {
        if let validator, let current = topics.configuration(topic) {
            var settings = current.settings
            settings[setting] = value
            try validator.checkSettings(settings)
        }
        try await withDirectory(changingTopics: true) { directory throws(LogError) in
            try directory.setConfiguration(topic: topic, setting, value)
        }
    }

    public func highWaterMark(_ name: String) async throws(LogError) -> Int64 {
        try await withDirectory { directory throws(LogError) in try directory.highWaterMark(name) }
    }

    /// Runs on the I/O thread: one small write and `fdatasync` (a registration that issues a new ID).
    public func raiseHighWaterMark(_ name: String, to value: Int64) async throws(LogError) {
        try await withDirectory { directory throws(LogError) in try directory.raiseHighWaterMark(name, to: value) }
    }

    public func read(topic: String, partition: Int, from offset: Int64, maxBytes: Int) async throws(LogError) -> [RecordBatch] {
        try await withDirectory { directory throws(LogError) in
            try directory.read(topic: topic, partition: partition, from: offset, maxBytes: maxBytes)
        }
    }

    public func addPartitions(topic: String, count: Int) async throws(LogError) -> LogTopic {
        try await withDirectory(changingTopics: true) { directory throws(LogError) in
            try directory.addPartitions(topic: topic, count: count)
        }
    }

    public func readStored(topic: String, partition: Int, from offset: Int64, maxBytes: Int) async throws(LogError) -> StoredRead {
        try await withDirectory { directory throws(LogError) in
            try directory.readStored(topic: topic, partition: partition, from: offset, maxBytes: maxBytes)
        }
    }

    public func partitions(of topic: String) async throws(LogError) -> [PartitionStatus] {
        try await withDirectory { directory throws(LogError) in try directory.partitions(of: topic) }
    }

    public func offset(topic: String, partition: Int, forTimestamp timestamp: Int64) async throws(LogError) -> Int64? {
        try await withDirectory { directory throws(LogError) in
            try directory.offset(topic: topic, partition: partition, forTimestamp: timestamp)
        }
    }

    /// Cleans one partition of a compacted topic now, whatever its dirty share (the cleaner's thread
    /// does the work; appends go on meanwhile), and returns what it did; nil when no sealed segment is
    /// dirty, a cleaning of it is already running, or its segments changed meanwhile.
    public func compact(topic: String, partition: Int) async throws(LogError) -> CompactionReport? {
        let now = configuration.now()
        let result = await withCheckedContinuation {
            [worker] (continuation: CheckedContinuation<Result<CompactionReport?, LogError>, Never>) in
            worker.enqueue(
                .other(
                    run: { directory in
                        do throws(LogError) {
                            guard let job = try directory.compactionJob(topic: topic, partition: partition, now: now) else {
                                return continuation.resume(returning: .success(nil))
                            }
                            worker.clean(
                                LogDirectory.PartitionKey(topic: topic, partition: partition), job,
                                answer: { continuation.resume(returning: $0) })
                        } catch {
                            continuation.resume(returning: .failure(error))
                        }
                    }, changesTopics: false,
                    cancel: { continuation.resume(returning: .failure(($0 as? LogError) ?? LogError(.io, "\($0)"))) }))
        }
        return try result.get()
    }

    /// Stops the I/O thread after the queued work and closes the directory cleanly (index files,
    /// recovery checkpoints and the clean-shutdown marker); returns when that is done. Later calls fail.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            worker.stop { continuation.resume() }
        }
    }

    deinit {
        worker.stop(then: nil)
    }

    /// How often the I/O thread went round its loop (for tests: an idle engine sleeps).
    var ioLoopIterations: Int { worker.iterations }

    /// How many `fdatasync`s of segments the engine ran (appends' syncs, and the flushes nobody waits
    /// for: interval timers, due checkpoints) and how many appends' partition batches waited for one (for
    /// tests and metrics: with group-commit topics only, batches per sync is the sharing).
    public var commitStatistics: (syncs: Int, batches: Int) { worker.statistics }
}

extension LogError.Code {
    /// A ``RecordValidator`` refused records (``LogError/rejections`` names them).
    public static let invalidRecord = LogError.Code(rawValue: "invalid-record")
}

/// The partition counts of the topics, readable from any task, and the round-robin positions.
private final class TopicTable: Sendable {
    private struct Tables {
        var entries: [String: (partitions: Int, nextUnkeyed: Int)] = [:]
        var appendTime: Set<String> = []
        var configurations: [String: TopicConfiguration] = [:]
    }
    private let tables = Locked(Tables())

    /// Takes the directory's topics (on the I/O thread, after topic changes).
    func refresh(from directory: LogDirectory) {
        let current = directory.topics.mapValues(\.partitions)
        let stamped = Set(directory.topics.values.filter { $0.configuration.messageTimestampType == "LogAppendTime" }.map(\.name))
        let configurations = directory.topics.mapValues(\.configuration)
        tables.withValue { tables in
            var updated: [String: (partitions: Int, nextUnkeyed: Int)] = [:]
            for (name, partitions) in current {
                let old = tables.entries[name]
                updated[name] = (partitions, old?.partitions == partitions ? old!.nextUnkeyed : 0)
            }
            tables.entries = updated
            tables.appendTime = stamped
            tables.configurations = configurations
        }
    }

    func configuration(_ topic: String) -> TopicConfiguration? {
        tables.withValue { $0.configurations[topic] }
    }

    func stampsAppendTime(_ topic: String) -> Bool {
        tables.withValue { $0.appendTime.contains(topic) }
    }

    func assign(topic: String, records: [LogRecord]) throws(LogError) -> [LogDirectory.PartitionBatch] {
        let assigned: [Int]? = tables.withValue { tables in
            guard var entry = tables.entries[topic] else { return nil }
            let assigned = LogDirectory.assignPartitions(records, partitions: entry.partitions, nextUnkeyed: &entry.nextUnkeyed)
            tables.entries[topic] = entry
            return assigned
        }
        guard let assigned else { throw LogError(.unknownTopic, "no topic '\(topic)'", location: .init(topic: topic)) }
        return LogDirectory.PartitionBatch.group(records, partitions: assigned)
    }
}
