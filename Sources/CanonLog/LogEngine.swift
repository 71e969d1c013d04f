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
    /// What opening the directory did (recovery scans, truncated torn tails, read-only partitions).
    public let recoveryNotes: [String]

    /// Opens (and recovers) the data directory and starts the I/O thread. `validator` checks every
    /// record appended to a non-internal topic.
    public init(
        path: String, fileSystem: any LogFileSystem, validator: (any RecordValidator)? = nil,
        configuration: Configuration = Configuration()
    ) throws(LogError) {
        let directory = try LogDirectory(path: path, fileSystem: fileSystem, partitionConfiguration: configuration.partition)
        topics = TopicTable()
        topics.refresh(from: directory)
        recoveryNotes = directory.recoveryNotes
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
        try refuseInternal(topic)
        guard !records.isEmpty else { return [] }
        var batches = try topics.assign(topic: topic, records: records)
        try validate(topic: topic, batches)
        prepare(topic: topic, &batches)
        return try await submit(topic: topic, batches: batches, count: records.count)
    }

    /// Appends records to one partition, in order (no partitioner).
    public func append(topic: String, partition: Int, records: [LogRecord]) async throws(LogError) -> [(partition: Int, offset: Int64)] {
        try refuseInternal(topic)
        guard !records.isEmpty else { return [] }
        guard topics.configuration(topic) != nil else {
            throw LogError(.unknownTopic, "no topic '\(topic)'", location: .init(topic: topic))
        }
        var batches = [LogDirectory.PartitionBatch(partition: partition, records: records, indexes: Array(records.indices))]
        try validate(topic: topic, batches)
        prepare(topic: topic, &batches)
        return try await submit(topic: topic, batches: batches, count: records.count)
    }

    /// Encodes the batches here, on the caller's task, unless the topic stamps LogAppendTime (then the
    /// I/O thread encodes them with its clock).
    private func prepare(topic: String, _ batches: inout [LogDirectory.PartitionBatch]) {
        guard !topics.stampsAppendTime(topic) else { return }
        for i in batches.indices { batches[i].prepared = PreparedBatch(records: batches[i].records) }
    }

    /// Internal topics (`_schemas`) are written by their owners through ``withDirectory(_:)`` only.
    private func refuseInternal(_ topic: String) throws(LogError) {
        if TopicName.isInternal(topic) {
            throw LogError(
                .invalidTopicName, "'\(topic)' is an internal topic: producers cannot write to it", location: .init(topic: topic))
        }
    }

    private func validate(topic: String, _ batches: [LogDirectory.PartitionBatch]) throws(LogError) {
        guard let validator else { return }
        var rejections: [RecordRejection] = []
        var partitions: [Int] = []
        for batch in batches {
            let found = validator.validate(
                topic: topic, configuration: topics.configuration(topic) ?? TopicConfiguration(),
                partition: batch.partition, records: batch.records)
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

    private func submit(topic: String, batches: [LogDirectory.PartitionBatch], count: Int) async throws(LogError) -> [(
        partition: Int, offset: Int64
    )] {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<[(partition: Int, offset: Int64)], LogError>, Never>) in
            worker.enqueue(.append(topic: topic, batches: batches, count: count, continuation))
        }
        return try result.get()
    }

    /// Runs `body` with the directory on the I/O thread (topic management, reads, retention).
    public func withDirectory<R: Sendable>(_ body: @escaping @Sendable (LogDirectory) throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { [topics] continuation in
            worker.enqueue(
                .other(
                    run: { directory in
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

    /// How often the I/O thread went round its loop (for tests: an idle engine sleeps).
    var ioLoopIterations: Int { worker.iterations }

    /// How many `fdatasync`s group commit ran and how many partition batches they covered (for tests and
    /// metrics: batches per sync is the sharing).
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

/// Threads that run `fdatasync`s (blocking calls, so more of them than cores is right), each call
/// reporting back to the I/O thread.
// @unchecked Sendable: `queue` and `idle` are only touched with `condition` held.
private final class SyncPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private var threads = 0
    private var idle = 0
    private var stopped = false
    private let maximum: Int

    init(maximum: Int) {
        self.maximum = maximum
    }

    func run(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append(work)
        if idle == 0 && threads < maximum {
            threads += 1
            let thread = Thread { [self] in loop() }
            thread.name = "canon-log-sync"
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            idle += 1
            while queue.isEmpty && !stopped { condition.wait() }
            idle -= 1
            if queue.isEmpty && stopped {
                threads -= 1
                condition.unlock()
                return
            }
            let work = queue.removeFirst()
            condition.unlock()
            work()
        }
    }
}

// @unchecked Sendable: `jobs`, `completions`, `stopped`, `onStopped` and the statistics are only
// touched with `condition` held; the LogDirectory, the waiters and the in-flight set only on the I/O
// thread (run()).
private final class Worker: @unchecked Sendable {
    typealias Placements = [(partition: Int, offset: Int64)]
    typealias Answer = CheckedContinuation<Result<Placements, LogError>, Never>

    enum Job {
        case append(topic: String, batches: [LogDirectory.PartitionBatch], count: Int, Answer)
        case other(run: (LogDirectory) -> Void, cancel: (any Error) -> Void)
    }

    /// An append written and waiting for its partitions' syncs.
    final class Waiter {
        let placements: Placements
        let answer: Answer
        /// Partition -> the offset its sync must reach (the append's last offset there + 1).
        var needs: [LogDirectory.PartitionKey: Int64]

        init(placements: Placements, answer: Answer, needs: [LogDirectory.PartitionKey: Int64]) {
            self.placements = placements
            self.answer = answer
            self.needs = needs
        }
    }

    private let directory: LogDirectory
    private let topics: TopicTable
    private let configuration: LogEngine.Configuration
    private let syncPool = SyncPool(maximum: 16)
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var completions: [(LogDirectory.PartitionKey, PartitionLog.SyncTicket, LogError?)] = []
    private var stopped = false
    private var onStopped: [@Sendable () -> Void] = []
    private var finished = false
    private var syncs = 0
    private var syncedBatches = 0
    // I/O thread only:
    private var waiters: [LogDirectory.PartitionKey: [Waiter]] = [:]
    private var inFlight = Set<LogDirectory.PartitionKey>()
    private var needsSync = Set<LogDirectory.PartitionKey>()
    /// After a sync, the next one on that partition waits (briefly) for the producers it answered to
    /// append again, so that one fdatasync covers nearly every record in flight instead of half of them.
    private var holds: [LogDirectory.PartitionKey: (until: UInt64, appends: Int)] = [:]
    /// The partition log each key's waiters were written to (a deleted and recreated topic has new ones).
    private var owners: [LogDirectory.PartitionKey: UInt64] = [:]
    private var syncStarted: [LogDirectory.PartitionKey: UInt64] = [:]
    /// The longest a sync waits for producers: half the last sync's duration, at most this.
    static let maximumHoldNanoseconds: UInt64 = 300_000

    init(directory: LogDirectory, topics: TopicTable, configuration: LogEngine.Configuration) {
        self.directory = directory
        self.topics = topics
        self.configuration = configuration
    }

    var statistics: (syncs: Int, batches: Int) {
        condition.withLock { (syncs, syncedBatches) }
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

    /// How often the I/O thread went round its loop (an idle engine must not spin).
    var iterations: Int { condition.withLock { loops } }
    private var loops = 0

    func run() {
        var nextRetention = configuration.now() + configuration.retentionCheckIntervalMs
        while true {
            condition.lock()
            loops += 1
            while jobs.isEmpty && completions.isEmpty && !(stopped && inFlight.isEmpty) {
                let now = configuration.now()
                let nextFlush = directory.shortestFlushInterval.map { now.addingReportingOverflow($0).overflow ? Int64.max : now + $0 }
                let deadline = min(nextRetention, nextFlush ?? .max)
                if deadline <= now { break }
                var wait = Double(min(deadline - now, 3_600_000)) / 1000
                // Only holds of partitions with appends waiting for a sync wake the thread.
                if let hold = holds.filter({ needsSync.contains($0.key) }).map(\.value.until).min() {
                    let clock = DispatchTime.now().uptimeNanoseconds
                    if hold <= clock { break }
                    wait = min(wait, Double(hold - clock) / 1e9)
                }
                _ = condition.wait(until: Date(timeIntervalSinceNow: wait))
                if configuration.now() >= deadline { break }
            }
            let batch = jobs
            let done = completions
            jobs = []
            completions = []
            let stopping = stopped && batch.isEmpty && done.isEmpty && inFlight.isEmpty && waiters.isEmpty
            let draining = stopped
            condition.unlock()
            if stopping {
                syncPool.stop()
                try? directory.close()
                let callbacks = condition.withLock { () -> [@Sendable () -> Void] in
                    finished = true
                    defer { onStopped = [] }
                    return onStopped
                }
                for callback in callbacks { callback() }
                return
            }
            for (key, ticket, error) in done { complete(key, ticket, error) }
            process(batch)
            startSyncs(holding: !draining)
            let now = configuration.now()
            _ = directory.flushIntervalTopics(now: now)
            // Retention closes the files of old segments: not while a sync may be using one.
            if now >= nextRetention && inFlight.isEmpty {
                _ = try? directory.enforceRetention(now: now)
                nextRetention = now + configuration.retentionCheckIntervalMs
            }
        }
    }

    /// Writes every queued append; their partitions get a sync as soon as none is in flight there.
    private func process(_ batch: [Job]) {
        for job in batch {
            switch job {
            case .other(let body, _):
                body(directory)
                failWaitersOfReplacedLogs()
            case .append(let topic, let batches, let count, let answer):
                let staged: LogDirectory.StagedAppend
                do {
                    staged = try directory.stage(topic: topic, batches: batches, count: count, now: configuration.now())
                } catch {
                    answer.resume(returning: .failure(error))
                    continue
                }
                guard !staged.partitions.isEmpty else {
                    answer.resume(returning: .success(staged.placements))
                    continue
                }
                var needs: [LogDirectory.PartitionKey: Int64] = [:]
                for placed in staged.placements {
                    let key = LogDirectory.PartitionKey(topic: topic, partition: placed.partition)
                    needs[key] = max(needs[key] ?? 0, placed.offset + 1)
                }
                let waiter = Waiter(placements: staged.placements, answer: answer, needs: needs)
                for key in needs.keys {
                    waiters[key, default: []].append(waiter)
                    needsSync.insert(key)
                    if let log = try? directory.partitionLog(key.topic, key.partition) { owners[key] = log.generation }
                }
                condition.withLock { syncedBatches += needs.count }
            }
        }
    }

    /// Starts a sync on every partition that has unsynced appends and none in flight.
    private func startSyncs(holding: Bool) {
        let clock = DispatchTime.now().uptimeNanoseconds
        holds = holds.filter { clock < $0.value.until }
        for key in needsSync where !inFlight.contains(key) {
            if holding, let hold = holds[key], clock < hold.until, (waiters[key]?.count ?? 0) < hold.appends { continue }
            holds[key] = nil
            needsSync.remove(key)
            guard let log = try? directory.partitionLog(key.topic, key.partition) else {
                failWaiters(
                    key,
                    LogError(.unknownTopic, "topic '\(key.topic)' was deleted", location: .init(topic: key.topic, partition: key.partition))
                )
                continue
            }
            guard let ticket = log.beginSync() else {
                // Read-only (a failed sync), or nothing left to sync: answer from the partition's state.
                if case .readOnly(let reason) = log.state {
                    failWaiters(
                        key, LogError(.io, "partition is read-only: \(reason)", location: .init(topic: key.topic, partition: key.partition))
                    )
                } else {
                    answerWaiters(key, durable: log.durableNextOffset)
                }
                continue
            }
            inFlight.insert(key)
            syncStarted[key] = clock
            condition.withLock { syncs += 1 }
            let fs = directory.fileSystem
            syncPool.run { [self] in
                var failure: LogError?
                do throws(LogError) { try fs.sync(ticket.handle) } catch { failure = error }
                condition.withLock {
                    completions.append((key, ticket, failure))
                    condition.signal()
                }
            }
        }
    }

    private func complete(_ key: LogDirectory.PartitionKey, _ ticket: PartitionLog.SyncTicket, _ error: LogError?) {
        inFlight.remove(key)
        guard let log = try? directory.partitionLog(key.topic, key.partition) else {
            failWaiters(
                key,
                LogError(.unknownTopic, "topic '\(key.topic)' was deleted", location: .init(topic: key.topic, partition: key.partition)))
            return
        }
        guard ticket.log == log.generation else {
            // A sync of a deleted topic's log (its waiters were failed then); the new log's appends, if
            // any, get their own sync.
            if waiters[key]?.isEmpty == false { needsSync.insert(key) }
            return
        }
        do {
            try log.completeSync(ticket, error: error)
        } catch {
            var located = error
            located.location.topic = key.topic
            located.location.partition = key.partition
            failWaiters(key, located)
            return
        }
        let answered = answerWaiters(key, durable: log.durableNextOffset)
        if log.durableNextOffset < log.nextOffset, waiters[key]?.isEmpty == false { needsSync.insert(key) }
        let clock = DispatchTime.now().uptimeNanoseconds
        let took = clock - (syncStarted.removeValue(forKey: key) ?? clock)
        if answered > 1 { holds[key] = (clock + min(took / 2, Self.maximumHoldNanoseconds), answered) }
    }

    /// Fails the appends waiting on partitions whose topic was deleted (or deleted and recreated).
    private func failWaitersOfReplacedLogs() {
        for key in Array(waiters.keys) {
            let current = (try? directory.partitionLog(key.topic, key.partition))?.generation
            if current != owners[key] {
                failWaiters(
                    key,
                    LogError(
                        .unknownTopic, "topic '\(key.topic)' was deleted before the append was durable",
                        location: .init(topic: key.topic, partition: key.partition)))
            }
        }
    }

    /// Answers the appends the partition's durable offset now covers; returns how many.
    @discardableResult
    private func answerWaiters(_ key: LogDirectory.PartitionKey, durable: Int64) -> Int {
        guard var list = waiters[key] else { return 0 }
        var answered = 0
        list.removeAll { waiter in
            guard let need = waiter.needs[key], need <= durable else { return false }
            waiter.needs[key] = nil
            if waiter.needs.isEmpty { waiter.answer.resume(returning: .success(waiter.placements)) }
            answered += 1
            return true
        }
        waiters[key] = list.isEmpty ? nil : list
        if list.isEmpty { owners[key] = nil }
        return answered
    }

    private func failWaiters(_ key: LogDirectory.PartitionKey, _ error: LogError) {
        needsSync.remove(key)
        owners[key] = nil
        guard let list = waiters.removeValue(forKey: key) else { return }
        for waiter in list where waiter.needs[key] != nil {
            waiter.needs = [:]  // answered once, here; its other partitions no longer wait for it
            waiter.answer.resume(returning: .failure(error))
        }
        // Remove the failed waiters from the other partitions' lists.
        for (other, others) in waiters {
            waiters[other] = others.filter { !$0.needs.isEmpty }
        }
    }
}
