/// A data directory: topics with partitions, each partition a ``PartitionLog``, locked by its one opener.
///
/// Layout: `DIR/.lock` (flock, holds the owner's pid), `DIR/format-version`, one `DIR/<topic>.topic`
/// file per topic (partition count and settings, one `name=value` a line), and one directory per
/// partition, `DIR/<topic>-<partition>/`, as Kafka lays them out.
///
/// This is the synchronous engine core: one caller at a time (the concurrent front with group commit
/// across producers and a dedicated I/O thread comes on top of it).
public final class LogDirectory {
    public static let formatVersion = "canon-log 1"

    /// A topic's shape and settings.
    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitions: Int
        public var configuration: TopicConfiguration
    }

    public let path: String
    private let fs: any LogFileSystem
    private let lockHandle: LogFileHandle
    private let repair: Bool
    /// What opening did (recovery and repair notes), per partition directory.
    public private(set) var recoveryNotes: [String] = []
    public private(set) var topics: [String: Topic] = [:]
    private var logs: [String: [PartitionLog]] = [:]
    /// Round-robin position for records without a key, per topic.
    private var nextUnkeyed: [String: Int] = [:]

    /// Opens (creating when missing) a data directory: takes its lock, checks its format version, opens
    /// and recovers every partition.
    ///
    /// With `repair`, damaged partitions are cut back to their last good batch (see ``PartitionLog``).
    public init(path: String, fileSystem: any LogFileSystem, repair: Bool = false) throws(LogError) {
        self.path = path
        self.fs = fileSystem
        self.repair = repair
        try fs.createDirectory(path)
        lockHandle = try fs.lockExclusively("\(path)/.lock")
        let versionFile = "\(path)/format-version"
        if fs.fileExists(versionFile) {
            let text = String(decoding: try fs.readAll(versionFile), as: UTF8.self)
            guard text.split(separator: "\n").first.map(String.init) == Self.formatVersion else {
                fs.close(lockHandle)
                throw LogError(.io, "unknown data directory format '\(text.prefix(40))' (this build reads '\(Self.formatVersion)')", location: .init(file: versionFile))
            }
        } else {
            try writeDurably(versionFile, Self.formatVersion + "\n")
        }
        for name in try fs.contentsOfDirectory(path) where name.hasSuffix(".topic") {
            let topic = try readTopic(String(name.dropLast(6)))
            topics[topic.name] = topic
            logs[topic.name] = try (0..<topic.partitions).map { (p) throws(LogError) in try openPartition(topic, p) }
            recoveryNotes += logs[topic.name]!.flatMap(\.recoveryNotes)
        }
    }

    deinit {
        fs.close(lockHandle)
    }

    private func openPartition(_ topic: Topic, _ partition: Int) throws(LogError) -> PartitionLog {
        try PartitionLog(directory: "\(path)/\(topic.name)-\(partition)", fileSystem: fs,
                         configuration: .init(segmentBytes: topic.configuration.segmentBytes), repair: repair)
    }

    /// Writes a small file so that it is whole or absent after a crash: temporary file, sync, rename,
    /// directory sync.
    private func writeDurably(_ file: String, _ text: String) throws(LogError) {
        let temporary = file + ".tmp"
        let h = try fs.open(temporary, create: true)
        defer { fs.close(h) }
        try fs.truncate(h, to: 0)
        try fs.write(h, Array(text.utf8), at: 0)
        try fs.sync(h)
        try fs.rename(temporary, to: file)
        try fs.syncDirectory(path)
    }

    private func readTopic(_ name: String) throws(LogError) -> Topic {
        let file = "\(path)/\(name).topic"
        var partitions = 0
        var settings: [String: String] = [:]
        for line in String(decoding: try fs.readAll(file), as: UTF8.self).split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]), value = String(line[line.index(after: eq)...])
            if key == "partitions" {
                partitions = Int(value) ?? 0
            } else {
                settings[key] = value
            }
        }
        guard partitions > 0 else { throw LogError(.io, "topic file has no valid partition count", location: .init(file: file)) }
        return Topic(name: name, partitions: partitions, configuration: try TopicConfiguration(settings))
    }

    /// Creates a topic. Names starting with `_` are internal and need `isInternal: true`.
    public func createTopic(_ name: String, partitions: Int, configuration: TopicConfiguration = TopicConfiguration(), isInternal: Bool = false) throws(LogError) {
        try TopicName.validate(name)
        guard TopicName.isInternal(name) == isInternal else {
            let why = isInternal ? "internal topic names start with '_'" : "topic names starting with '_' are reserved for internal topics"
            throw LogError(.invalidTopicName, why, location: .init(topic: name))
        }
        guard topics[name] == nil else { throw LogError(.topicExists, "topic '\(name)' already exists", location: .init(topic: name)) }
        guard partitions >= 1, partitions <= 10_000 else {
            throw LogError(.invalidConfiguration, "a topic has 1 to 10000 partitions, not \(partitions)", location: .init(topic: name))
        }
        for (key, value) in configuration.settings where key.contains("\n") || value.contains("\n") || key.contains("=") {
            throw LogError(.invalidConfiguration, "setting '\(key)' cannot contain a line break or '='", location: .init(topic: name))
        }
        let topic = Topic(name: name, partitions: partitions, configuration: configuration)
        let text = (["partitions=\(partitions)"] + configuration.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: "\n") + "\n"
        // Partitions first, the topic file last: a crash in between leaves no half-made topic visible.
        let partitionLogs = try (0..<partitions).map { (p) throws(LogError) in try openPartition(topic, p) }
        try fs.syncDirectory(path)
        try writeDurably("\(path)/\(name).topic", text)
        topics[name] = topic
        logs[name] = partitionLogs
    }

    /// Deletes a topic and its data. Internal topics cannot be deleted.
    public func deleteTopic(_ name: String) throws(LogError) {
        guard let logs = logs[name] else { throw LogError(.unknownTopic, "no topic '\(name)'", location: .init(topic: name)) }
        guard !TopicName.isInternal(name) else { throw LogError(.invalidTopicName, "internal topic '\(name)' cannot be deleted", location: .init(topic: name)) }
        try fs.remove("\(path)/\(name).topic")
        try fs.syncDirectory(path)
        topics[name] = nil
        self.logs[name] = nil
        for log in logs { try log.removeFiles() }
        try fs.syncDirectory(path)
    }

    private func partitionLogs(_ topic: String) throws(LogError) -> [PartitionLog] {
        guard let logs = logs[topic] else { throw LogError(.unknownTopic, "no topic '\(topic)'", location: .init(topic: topic)) }
        return logs
    }

    /// A partition of a topic.
    public struct PartitionKey: Hashable, Sendable {
        public var topic: String
        public var partition: Int
    }

    /// Records written but not yet committed: where each record went, and which partitions need a flush.
    public struct StagedAppend: Sendable {
        public var placements: [(partition: Int, offset: Int64)]
        public var partitions: Set<PartitionKey>
    }

    /// Appends records: keyed records go to `(murmur2(key) & 0x7fffffff) % partitions`, records without a
    /// key round-robin, one batch per partition; made durable (and visible) under the topic's flush
    /// policy before this returns. Returns each record's partition and offset, in input order.
    public func append(topic: String, records: [LogRecord]) throws(LogError) -> [(partition: Int, offset: Int64)] {
        let staged = try stage(topic: topic, records: records)
        if let (_, error) = commit(staged.partitions).first { throw error }
        return staged.placements
    }

    /// The first half of an append: writes the batches without making them durable or visible. Several
    /// staged appends share one `commit` (group commit). A failure leaves nothing of this append behind.
    public func stage(topic: String, records: [LogRecord]) throws(LogError) -> StagedAppend {
        let logs = try partitionLogs(topic)
        let config = topics[topic]!.configuration
        var byPartition = [[Int]](repeating: [], count: logs.count)
        var placements = [(partition: Int, offset: Int64)](repeating: (0, 0), count: records.count)
        for (i, record) in records.enumerated() {
            let p: Int
            if let key = record.key {
                p = KafkaPartitioner.partition(key: key, partitions: logs.count)
            } else {
                p = nextUnkeyed[topic, default: 0] % logs.count
                nextUnkeyed[topic] = p + 1
            }
            byPartition[p].append(i)
        }
        var touched = Set<PartitionKey>()
        var written: [(log: PartitionLog, from: Int64)] = []
        for (p, indexes) in byPartition.enumerated() where !indexes.isEmpty {
            let offsets: ClosedRange<Int64>
            do {
                offsets = try logs[p].append(indexes.map { records[$0] }, maxBatchBytes: config.maxMessageBytes)
            } catch {
                // Take back what this append wrote to other partitions: all of it or nothing.
                for w in written { try? w.log.rollBack(to: w.from) }
                throw LogError(error.code, error.message, location: .init(topic: topic, partition: p, file: error.location.file, position: error.location.position))
            }
            written.append((logs[p], offsets.lowerBound))
            touched.insert(PartitionKey(topic: topic, partition: p))
            for (k, i) in indexes.enumerated() { placements[i] = (p, offsets.lowerBound + Int64(k)) }
        }
        if config.flushPolicy != .groupCommit {
            for w in written { w.log.publishWithoutSync() }
            touched = []
        }
        return StagedAppend(placements: placements, partitions: touched)
    }

    /// The second half: one `fdatasync` per partition covers every batch staged since the last commit.
    /// Returns the partitions whose flush failed (they are read-only now), with the error.
    public func commit(_ partitions: Set<PartitionKey>) -> [PartitionKey: LogError] {
        var failures: [PartitionKey: LogError] = [:]
        for key in partitions {
            guard let log = logs[key.topic]?[key.partition] else { continue }
            do {
                try log.flush()
            } catch {
                failures[key] = error
            }
        }
        return failures
    }

    /// Visible batches of a partition from `offset` on, up to about `maxBytes`.
    public func read(topic: String, partition: Int, from offset: Int64, maxBytes: Int = 1 << 20) throws(LogError) -> [RecordBatch] {
        let logs = try partitionLogs(topic)
        guard partition >= 0 && partition < logs.count else {
            throw LogError(.partitionOutOfRange, "topic '\(topic)' has partitions 0..<\(logs.count), not \(partition)", location: .init(topic: topic, partition: partition))
        }
        return try logs[partition].read(from: offset, maxBytes: maxBytes)
    }

    /// Applies every topic's `retention.ms` and `retention.bytes`: deletes whole old segments. Returns the
    /// removed files.
    @discardableResult
    public func enforceRetention(now: Int64) throws(LogError) -> [String] {
        var removed: [String] = []
        for (name, topic) in topics.sorted(by: { $0.key < $1.key }) where !TopicName.isInternal(name) {
            for log in logs[name] ?? [] {
                removed += try log.enforceRetention(now: now, retentionMs: topic.configuration.retentionMs, retentionBytes: topic.configuration.retentionBytes)
            }
        }
        return removed
    }

    /// The next offset and state of each partition of a topic.
    public func partitions(of topic: String) throws(LogError) -> [(nextOffset: Int64, state: PartitionLog.State)] {
        try partitionLogs(topic).map { ($0.nextOffset, $0.state) }
    }
}
