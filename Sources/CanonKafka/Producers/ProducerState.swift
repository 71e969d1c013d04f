import CanonLog

/// Idempotent producers: producer IDs that are never issued twice (a durable high-water mark of the
/// log, as schema IDs have), and per partition and producer the epoch and the sequence numbers of the
/// last batches, so a retried batch is acknowledged with its first offsets instead of being written
/// again, and a batch after a gap is refused.
///
/// The sequence state survives restarts: stored batches keep the producer's fields, and the state of a
/// partition is read back from its last ``recoveryWindow`` offsets the first time an idempotent producer
/// writes to it.
actor ProducerState {
    /// How many offsets from a partition's end are read to recover its producers' state. Default 100,000.
    let recoveryWindow: Int64
    /// The log's high-water mark holding the highest producer ID issued.
    static let idMark = "producer-ids"
    /// How many recent batches per producer and partition are remembered for duplicates (Kafka's 5).
    static let remembered = 5

    struct Batch: Hashable, Sendable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
    }

    struct Entry: Sendable {
        var epoch: Int16
        var recent: [Batch]
    }

    struct Key: Hashable, Sendable {
        var topic: String
        var partition: Int32
        var producerID: Int64
    }

    enum Verdict: Equatable, Sendable {
        case append
        case duplicate(baseOffset: Int64)
        case refuse(KafkaErrorCode, String)
    }

    private let log: any RecordLog
    private var nextID: Int64?
    private var entries: [Key: Entry] = [:]
    private var recoveries: [String: Task<Void, Never>] = [:]
    private let locks = KeyedLock<Key>()

    init(log: any RecordLog, recoveryWindow: Int64 = 100_000) {
        self.log = log
        self.recoveryWindow = recoveryWindow
    }

    /// Reads the producers' last batches of a partition from the log, once; callers arriving while it
    /// reads wait for it.
    private func recover(topic: String, partition: Int32) async {
        let name = "\(topic)\u{0}\(partition)"
        if let running = recoveries[name] { return await running.value }
        let task = Task { await self.load(topic: topic, partition: partition) }
        recoveries[name] = task
        await task.value
    }

    private func load(topic: String, partition: Int32) async {
        guard let status = try? await log.partitions(of: topic), status.indices.contains(Int(partition)) else { return }
        var offset = max(status[Int(partition)].startOffset, status[Int(partition)].nextOffset - recoveryWindow)
        var found: [Key: Entry] = [:]
        while let batches = try? await log.read(topic: topic, partition: Int(partition), from: offset, maxBytes: 1 << 20), !batches.isEmpty
        {
            for b in batches where b.producerId >= 0 {
                let key = Key(topic: topic, partition: partition, producerID: b.producerId)
                var entry = found[key] ?? Entry(epoch: b.producerEpoch, recent: [])
                if b.producerEpoch != entry.epoch { entry = Entry(epoch: b.producerEpoch, recent: []) }
                entry.recent.append(
                    Batch(firstSequence: b.baseSequence, lastSequence: b.baseSequence &+ b.lastOffsetDelta, baseOffset: b.baseOffset))
                if entry.recent.count > Self.remembered { entry.recent.removeFirst() }
                found[key] = entry
            }
            offset = batches.last!.lastOffset + 1
        }
        for (key, entry) in found where entries[key] == nil { entries[key] = entry }
    }

    /// What came of an idempotent producer's batch.
    enum Outcome: Equatable, Sendable {
        case appended(baseOffset: Int64)
        case duplicate(baseOffset: Int64)
        case refused(KafkaErrorCode, String)
    }

    /// Checks a batch, writes it with `write` (which returns its base offset) when it is new, and records
    /// it: all under the producer's lock for that partition, so a retry waits for the first copy.
    func append(
        _ key: Key, epoch: Int16, firstSequence: Int32, count: Int32, write: @Sendable () async throws(LogError) -> Int64
    ) async throws(LogError) -> Outcome {
        await locks.acquire(key)
        defer { locks.release(key) }
        switch await check(key, epoch: epoch, firstSequence: firstSequence, count: count) {
        case .duplicate(let base): return .duplicate(baseOffset: base)
        case .refuse(let code, let message): return .refused(code, message)
        case .append:
            let base = try await write()
            appended(key, epoch: epoch, firstSequence: firstSequence, count: count, baseOffset: base)
            return .appended(baseOffset: base)
        }
    }

    /// A producer ID never issued before: the mark is raised to it, durably, before it is returned.
    func issueID() async throws(LogError) -> Int64 {
        if nextID == nil {
            let mark = try await log.highWaterMark(Self.idMark)
            if nextID == nil { nextID = mark + 1 }
        }
        let id = nextID!
        nextID = id + 1
        try await log.raiseHighWaterMark(Self.idMark, to: id)
        return id
    }

    /// What to do with a batch of `count` records from a producer.
    private func check(_ key: Key, epoch: Int16, firstSequence: Int32, count: Int32) async -> Verdict {
        await recover(topic: key.topic, partition: key.partition)
        guard let entry = entries[key] else { return .append }
        let lastSequence = firstSequence &+ count &- 1
        if epoch < entry.epoch {
            return .refuse(.invalidProducerEpoch, "producer \(key.producerID) epoch \(epoch) is older than \(entry.epoch)")
        }
        if epoch > entry.epoch {
            return firstSequence == 0
                ? .append
                : .refuse(
                    .outOfOrderSequenceNumber, "a new epoch of producer \(key.producerID) must start at sequence 0, not \(firstSequence)")
        }
        if let known = entry.recent.first(where: { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }) {
            return .duplicate(baseOffset: known.baseOffset)
        }
        let expected = (entry.recent.last?.lastSequence ?? -1) &+ 1
        guard firstSequence == expected else {
            return .refuse(
                .outOfOrderSequenceNumber, "producer \(key.producerID) sent sequence \(firstSequence) where \(expected) was expected")
        }
        return .append
    }

    /// Records a batch that was appended at `baseOffset`.
    private func appended(_ key: Key, epoch: Int16, firstSequence: Int32, count: Int32, baseOffset: Int64) {
        var entry = entries[key] ?? Entry(epoch: epoch, recent: [])
        if epoch != entry.epoch { entry = Entry(epoch: epoch, recent: []) }
        entry.recent.append(Batch(firstSequence: firstSequence, lastSequence: firstSequence &+ count &- 1, baseOffset: baseOffset))
        if entry.recent.count > Self.remembered { entry.recent.removeFirst(entry.recent.count - Self.remembered) }
        entries[key] = entry
    }
}
