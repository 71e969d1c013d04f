import CanonCore
import CanonLog

/// Committed consumer-group offsets, kept durably in the internal topic `_group_offsets` (one
/// partition, never validated, not deletable by users): one record per commit of a partition, keyed by
/// group, topic and partition; the last one for a key wins, and the topic is compacted
/// (`cleanup.policy=compact`, 100 MiB segments as Kafka's `offsets.topic.segment.bytes`), so it holds
/// about one record per key rather than one per commit. Read whole at start; appends are conditional
/// on the partition's next offset, as the registry's are.
struct GroupOffsetStore: Sendable {
    static let topic = "_group_offsets"

    struct Key: Hashable, Sendable {
        var group: String
        var topic: String
        var partition: Int32
    }

    struct Committed: Sendable, Hashable {
        var offset: Int64
        var metadata: String?
    }

    let log: any RecordLog
    /// The topic's `segment.bytes` when this store creates it (only sealed segments are compacted).
    var segmentBytes = 100 << 20

    /// Creates the topic when missing and reads every commit in it; returns them and the next offset.
    func load() async throws(LogError) -> (offsets: [Key: Committed], next: Int64) {
        if try await log.topic(Self.topic) == nil {
            _ = try await log.createTopic(
                Self.topic, partitions: 1,
                configuration: try TopicConfiguration([
                    "cleanup.policy": "compact", "retention.ms": "-1", "retention.bytes": "-1", "segment.bytes": String(segmentBytes),
                ]),
                isInternal: true)
        }
        var offsets: [Key: Committed] = [:]
        var offset: Int64 = 0
        while true {
            let batches = try await log.read(topic: Self.topic, partition: 0, from: offset, maxBytes: 1 << 20)
            guard !batches.isEmpty else { break }
            for batch in batches {
                for (at, record) in batch.recordsWithOffsets where at >= offset {
                    if let (key, committed) = Self.decode(record) { offsets[key] = committed }
                }
                offset = max(offset, batch.lastOffset + 1)
            }
        }
        return (offsets, try await log.partitions(of: Self.topic).first?.nextOffset ?? offset)
    }

    /// Appends the commits after exactly `expectedNext` records; returns the new next offset.
    func append(_ commits: [(Key, Committed)], expectedNext: Int64) async throws(LogError) -> Int64 {
        let now = LogDirectory.currentTimeMillis()
        let records = commits.map { key, committed in
            LogRecord(
                key: Array(
                    JSONValue.object(["group": .string(key.group), "topic": .string(key.topic), "partition": .int(Int64(key.partition))])
                        .jsonText.utf8),
                value: Array(
                    JSONValue.object(["offset": .int(committed.offset), "metadata": committed.metadata.map(JSONValue.string) ?? .null])
                        .jsonText.utf8),
                timestamp: now)
        }
        let placed = try await log.appendToInternalTopic(Self.topic, partition: 0, records: records, expectedNextOffset: expectedNext)
        return (placed.last?.offset ?? expectedNext - 1) + 1
    }

    /// The next offset the partition will give.
    func nextOffset() async throws(LogError) -> Int64 { try await log.partitions(of: Self.topic).first?.nextOffset ?? 0 }

    static func decode(_ record: LogRecord) -> (Key, Committed)? {
        guard let k = record.key, let v = record.value, let key = try? JSONReader.parse(String(decoding: k, as: UTF8.self)),
            let value = try? JSONReader.parse(String(decoding: v, as: UTF8.self)), let group = key["group"]?.stringValue,
            let topic = key["topic"]?.stringValue, let partition = key["partition"]?.int64Value, let offset = value["offset"]?.int64Value
        else { return nil }
        return (
            Key(group: group, topic: topic, partition: Int32(clamping: partition)),
            Committed(offset: offset, metadata: value["metadata"]?.stringValue)
        )
    }
}
