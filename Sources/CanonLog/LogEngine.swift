import Foundation

/// Checks records at the append path, before they reach the partition writer (the registry's schema
/// validation plugs in here). Internal topics (names starting with `_`) are never validated.
public protocol RecordValidator: Sendable {
    /// The rejected records of one partition's batch, by index in `records`, each with a reason; an
    /// empty result accepts the batch.
    func validate(topic: String, partition: Int, records: [LogRecord]) -> [RecordRejection]
}

/// A record a ``RecordValidator`` refused.
public struct RecordRejection: Sendable, Hashable {
    /// The record's index: in the batch given to the validator, or (in ``LogError/rejections``) in the
    /// append.
    public var index: Int
    public var reason: String

    public init(index: Int, reason: String) {
        self.index = index
        self.reason = reason
    }
}

/// The concurrent front of a data directory: any number of tasks append and read at once; every file
/// call runs on one dedicated I/O thread (never on the cooperative pool), which drains the queued
/// appends, writes all their batches, then makes them durable with one `fdatasync` per partition
/// (group commit; the syncs of different partitions run in parallel) and only then answers each
/// appender.
///
/// Records are assigned to partitions and validated on the caller's task; an append with any rejected
/// record is refused whole, naming each rejected record, and nothing of it is written.
///
/// A flush that fails fails every append waiting on that partition; the partition stays read-only until
/// the directory is opened again. The I/O thread also flushes `interval`-policy topics every `flush.ms`
/// and applies retention every ``Configuration/retentionCheckIntervalMs``.
public final class LogEngine: Sendable {
    /// Engine settings that are not per topic.
    public struct Configuration: Sendable {
        /// How often retention runs (Kafka's `log.retention.check.interval.ms`, 5 minutes).
        public var retentionCheckIntervalMs: Int64 = 300_000
        /// Storage settings for every partition (segment size and time come from each topic).
        public var partition = PartitionLog.Configuration()
        /// The clock, in milliseconds since the epoch (tests move it).
        public var now: @Sendable () -> Int64 = { LogDirectory.currentTimeMillis() }

        public init() {}
    }

    private let worker: Worker
    private let validator: (any RecordValidator)?
    private let topics: TopicTable

    /// Opens (and recovers) the data directory and starts the I/O thread. `validator` checks every
    /// record appended to a non-internal topic.
    public init(path: String, fileSystem: any LogFileSystem, validator: (any RecordValidator)? = nil,
                configuration: Configuration = Configuration()) throws(LogError) {
        let directory = try LogDirectory(path: path, fileSystem: fileSystem, partitionConfiguration: configuration.partition)
        topics = TopicTable()
        topics.refresh(from: directory)
        worker = Worker(directory: directory, topics: topics, configuration: configuration)
        self.validator = validator
        let thread = Thread { [worker] in worker.run() }
        thread.name = "canon-log-io"
        thread.start()
    }

    /// Appends records (see ``LogDirectory/append(topic:records:)``); returns once they are durable under
    /// the topic's flush policy, sharing each `fdatasync` with the other appends queued meanwhile.
    /// Returns each record's partition and offset, in input order.
    public func append(topic: String, records: [LogRecord]) async throws(LogError) -> [(partition: Int, offset: Int64)] {
        guard !records.isEmpty else { return [] }
        let batches = try topics.assign(topic: topic, records: records)
        try validate(topic: topic, batches)
        return try await submit(topic: topic, batches: batches, count: records.count)
    }

    /// Appends records to one partition, in order (no partitioner).
    public func append(topic: String, partition: Int, records: [LogRecord]) async throws(LogError) -> [(partition: Int, offset: Int64)] {
        guard !records.isEmpty else { return [] }
        let batches = [LogDirectory.PartitionBatch(partition: partition, records: records, indexes: Array(records.indices))]
        try validate(topic: topic, batches)
        return try await submit(topic: topic, batches: batches, count: records.count)
    }

    private func validate(topic: String, _ batches: [LogDirectory.PartitionBatch]) throws(LogError) {
        guard let validator, !TopicName.isInternal(topic) else { return }
        var rejections: [RecordRejection] = []
        var partitions: [Int] = []
        for batch in batches {
            let found = validator.validate(topic: topic, partition: batch.partition, records: batch.records)
            for r in found where r.index >= 0 && r.index < batch.indexes.count {
                rejections.append(RecordRejection(index: batch.indexes[r.index], reason: r.reason))
            }
            if !found.isEmpty { partitions.append(batch.partition) }
        }
        guard !rejections.isEmpty else { return }
        rejections.sort { $0.index < $1.index }
        let total = batches.reduce(0) { $0 + $1.records.count }
        let listed = rejections.prefix(5).map { "record \($0.index): \($0.reason)" }.joined(separator: "; ")
        var error = LogError(.invalidRecord, "\(rejections.count) of \(total) record(s) rejected, nothing written: \(listed)\(rejections.count > 5 ? "; …" : "")",
                             location: .init(topic: topic, partition: partitions.count == 1 ? partitions[0] : nil))
        error.rejections = rejections
        throw error
    }

    private func submit(topic: String, batches: [LogDirectory.PartitionBatch], count: Int) async throws(LogError) -> [(partition: Int, offset: Int64)] {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[(partition: Int, offset: Int64)], LogError>, Never>) in
            worker.enqueue(.append(topic: topic, batches: batches, count: count, continuation))
        }
        return try result.get()
    }

    /// Runs `body` with the directory on the I/O thread (topic management, reads, retention).
    public func withDirectory<R: Sendable>(_ body: @escaping @Sendable (LogDirectory) throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { [topics] continuation in
            worker.enqueue(.other(run: { directory in
                let result = Result { try body(directory) }
                topics.refresh(from: directory)  // before answering: the caller may append to a new topic next
                continuation.resume(with: result)
            }, cancel: { continuation.resume(throwing: $0) }))
        }
    }

    /// Visible batches of a partition from `offset` on, up to about `maxBytes`.
    public func read(topic: String, partition: Int, from offset: Int64, maxBytes: Int = 1 << 20) async throws -> [RecordBatch] {
        try await withDirectory { try $0.read(topic: topic, partition: partition, from: offset, maxBytes: maxBytes) }
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

    /// How many `commit`s the I/O thread made and how many appends they covered (for tests and metrics).
    public var commitStatistics: (commits: Int, appends: Int) { worker.statistics }
}

extension LogError.Code {
    /// A ``RecordValidator`` refused records (``LogError/rejections`` names them).
    public static let invalidRecord = LogError.Code(rawValue: "invalid-record")
}

/// The partition counts of the topics, readable from any task, and the round-robin positions.
// @unchecked Sendable: `entries` is only touched with `lock` held.
private final class TopicTable: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (partitions: Int, nextUnkeyed: Int)] = [:]

    /// Takes the directory's topics (on the I/O thread, after topic changes).
    func refresh(from directory: LogDirectory) {
        let current = directory.topics.mapValues(\.partitions)
        lock.withLock {
            var updated: [String: (partitions: Int, nextUnkeyed: Int)] = [:]
            for (name, partitions) in current {
                let old = entries[name]
                updated[name] = (partitions, old?.partitions == partitions ? old!.nextUnkeyed : 0)
            }
            entries = updated
        }
    }

    func assign(topic: String, records: [LogRecord]) throws(LogError) -> [LogDirectory.PartitionBatch] {
        lock.lock()
        guard var entry = entries[topic] else {
            lock.unlock()
            throw LogError(.unknownTopic, "no topic '\(topic)'", location: .init(topic: topic))
        }
        let assigned = LogDirectory.assignPartitions(records, partitions: entry.partitions, nextUnkeyed: &entry.nextUnkeyed)
        entries[topic] = entry
        lock.unlock()
        return LogDirectory.PartitionBatch.group(records, partitions: assigned)
    }
}

// @unchecked Sendable: `jobs`, `stopped`, `onStopped` and the statistics are only touched with
// `condition` held; the LogDirectory is only used on the I/O thread (run()).
private final class Worker: @unchecked Sendable {
    typealias Placements = [(partition: Int, offset: Int64)]

    enum Job {
        case append(topic: String, batches: [LogDirectory.PartitionBatch], count: Int, CheckedContinuation<Result<Placements, LogError>, Never>)
        case other(run: (LogDirectory) -> Void, cancel: (any Error) -> Void)
    }

    private let directory: LogDirectory
    private let topics: TopicTable
    private let configuration: LogEngine.Configuration
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopped = false
    private var onStopped: [@Sendable () -> Void] = []
    private var finished = false
    private var commits = 0
    private var committedAppends = 0

    init(directory: LogDirectory, topics: TopicTable, configuration: LogEngine.Configuration) {
        self.directory = directory
        self.topics = topics
        self.configuration = configuration
    }

    var statistics: (commits: Int, appends: Int) {
        condition.withLock { (commits, committedAppends) }
    }

    func enqueue(_ job: Job) {
        condition.lock()
        if stopped {
            condition.unlock()
            fail(job, LogError(.io, "the log engine is shut down"))
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Stops after the queued work; `then` runs once the directory is closed.
    func stop(then: (@Sendable () -> Void)?) {
        condition.lock()
        if finished {
            condition.unlock()
            then?()
            return
        }
        stopped = true
        if let then { onStopped.append(then) }
        condition.signal()
        condition.unlock()
    }

    private func fail(_ job: Job, _ error: LogError) {
        switch job {
        case .append(_, _, _, let c): c.resume(returning: .failure(error))
        case .other(_, let cancel): cancel(error)
        }
    }

    func run() {
        var nextRetention = configuration.now() + configuration.retentionCheckIntervalMs
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped {
                let now = configuration.now()
                let nextFlush = directory.shortestFlushInterval.map { now + $0 }
                let deadline = min(nextRetention, nextFlush ?? .max)
                if deadline <= now { break }
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(min(deadline - now, 3_600_000)) / 1000))
                if configuration.now() >= deadline { break }
            }
            let batch = jobs
            jobs = []
            let stopping = stopped && batch.isEmpty
            condition.unlock()
            if stopping {
                try? directory.close()
                let callbacks = condition.withLock { () -> [@Sendable () -> Void] in
                    finished = true
                    defer { onStopped = [] }
                    return onStopped
                }
                for callback in callbacks { callback() }
                return
            }
            process(batch)
            let now = configuration.now()
            _ = directory.flushIntervalTopics(now: now)
            if now >= nextRetention {
                _ = try? directory.enforceRetention(now: now)
                nextRetention = now + configuration.retentionCheckIntervalMs
            }
        }
    }

    /// Stages every queued append, commits the touched partitions once, then answers.
    private func process(_ batch: [Job]) {
        var staged: [(LogDirectory.StagedAppend, CheckedContinuation<Result<Placements, LogError>, Never>)] = []
        var partitions = Set<LogDirectory.PartitionKey>()
        for job in batch {
            switch job {
            case .other(let body, _):
                body(directory)
            case .append(let topic, let batches, let count, let continuation):
                do {
                    let s = try directory.stage(topic: topic, batches: batches, count: count, now: configuration.now())
                    staged.append((s, continuation))
                    partitions.formUnion(s.partitions)
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        guard !staged.isEmpty else { return }
        let failures = directory.commit(partitions)
        condition.withLock {
            commits += 1
            committedAppends += staged.count
        }
        for (s, continuation) in staged {
            if let failed = s.partitions.first(where: { failures[$0] != nil }) {
                continuation.resume(returning: .failure(failures[failed]!))
            } else {
                continuation.resume(returning: .success(s.placements))
            }
        }
    }
}
