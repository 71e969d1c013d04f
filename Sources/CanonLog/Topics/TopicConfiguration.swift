import Foundation

/// A topic's settings, under Kafka's names and with Kafka's defaults where they exist, plus the flush
/// policy and an opaque map for layers above the log (the validation settings of the registry).
public struct TopicConfiguration: Sendable, Hashable {
    /// When appends are made durable.
    public enum FlushPolicy: String, Sendable, Hashable, CaseIterable {
        /// One `fdatasync` covers every batch appended since the last one; an append returns once durable.
        case groupCommit = "group-commit"
        /// Flush every `flush.ms`; an append returns before it is durable.
        case interval
        /// The OS decides: the newest records can be lost on power loss (not on a process crash).
        case never
    }

    /// Kafka's `retention.ms` (7 days; -1 keeps forever).
    public var retentionMs: Int64 = 604_800_000
    /// Kafka's `retention.bytes` (-1: no size limit).
    public var retentionBytes: Int64 = -1
    /// Kafka's `segment.bytes` (1 GiB).
    public var segmentBytes: Int = 1 << 30
    /// Kafka's `segment.ms` (7 days).
    public var segmentMs: Int64 = 604_800_000
    /// Kafka's `max.message.bytes`: the largest record batch.
    public var maxMessageBytes: Int = 1_048_588
    /// Kafka's `message.timestamp.type`: `CreateTime` or `LogAppendTime`.
    public var messageTimestampType: String = "CreateTime"
    /// `canon.flush.policy`.
    public var flushPolicy: FlushPolicy = .groupCommit
    /// Kafka's `flush.ms`: how often the `interval` policy flushes (Canon's default: 1 s).
    public var flushMs: Int64 = 1000
    /// Kafka's `cleanup.policy`: `delete` (retention removes old segments), `compact` (the cleaner
    /// keeps the last record per key), or both.
    public var cleanupPolicy: CleanupPolicy = .delete
    /// Kafka's `min.cleanable.dirty.ratio` (0.5): the share of a compacted partition's sealed bytes
    /// written since its last cleaning that starts the next one.
    public var minCleanableDirtyRatio: Double = 0.5
    /// Kafka's `delete.retention.ms` (1 day): a tombstone (a key with a null value) that a cleaning kept
    /// is dropped by a later one once its batch's timestamp is older than this, so consumers see the
    /// deletion first.
    public var deleteRetentionMs: Int64 = 86_400_000
    /// Kafka's `min.compaction.lag.ms` (0): records newer than this are not compacted yet.
    public var minCompactionLagMs: Int64 = 0
    /// Settings the log keeps but does not read (for the layers above it), by name.
    public var extra: [String: String] = [:]

    public init() {}

    /// Kafka's `cleanup.policy` values.
    public struct CleanupPolicy: Sendable, Hashable {
        public var delete: Bool
        public var compact: Bool

        public static let delete = CleanupPolicy(delete: true, compact: false)
        public static let compact = CleanupPolicy(delete: false, compact: true)

        public init(delete: Bool, compact: Bool) {
            self.delete = delete
            self.compact = compact
        }

        /// `delete`, `compact`, or both separated by a comma (either order, spaces allowed).
        public init?(_ text: String) {
            let parts = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            guard !parts.isEmpty, parts.isSubset(of: ["delete", "compact"]) else { return nil }
            self.init(delete: parts.contains("delete"), compact: parts.contains("compact"))
        }

        /// Kafka's spelling: `delete`, `compact` or `compact,delete`.
        public var name: String { [compact ? "compact" : nil, delete ? "delete" : nil].compactMap { $0 }.joined(separator: ",") }
    }

    /// Settings from `name=value` pairs; unknown `canon.`-less names are kept in `extra`; bad values are
    /// errors naming the setting.
    public init(_ settings: [String: String]) throws(LogError) {
        self.init()
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { try set(name, value) }
    }

    /// Sets one setting by its name.
    public mutating func set(_ name: String, _ value: String) throws(LogError) {
        func bad(_ expected: String) -> LogError {
            LogError(.invalidConfiguration, "invalid value '\(value)' for \(name): expected \(expected)")
        }
        func integer(min: Int64, max: Int64 = .max) throws(LogError) -> Int64 {
            guard let v = Int64(value), v >= min, v <= max else {
                throw bad("an integer \(min == -1 ? "(-1 for no limit)" : "of at least \(min)")\(max < .max ? " and at most \(max)" : "")")
            }
            return v
        }
        switch name {
        case "retention.ms": retentionMs = try integer(min: -1)
        case "retention.bytes": retentionBytes = try integer(min: -1)
        case "segment.bytes": segmentBytes = Int(try integer(min: 14, max: Int64(Int32.max)))
        case "segment.ms": segmentMs = try integer(min: 1)
        case "flush.ms": flushMs = try integer(min: 1)
        case "max.message.bytes": maxMessageBytes = Int(try integer(min: 0, max: Int64(Int32.max)))
        case "message.timestamp.type":
            guard value == "CreateTime" || value == "LogAppendTime" else { throw bad("CreateTime or LogAppendTime") }
            messageTimestampType = value
        case "canon.flush.policy":
            guard let p = FlushPolicy(rawValue: value) else { throw bad("group-commit, interval or never") }
            flushPolicy = p
        case "partitions":
            throw LogError(.invalidConfiguration, "partitions is not a setting: it is set when the topic is created")
        case "cleanup.policy":
            guard let policy = CleanupPolicy(value) else { throw bad("delete, compact or compact,delete") }
            cleanupPolicy = policy
        case "min.cleanable.dirty.ratio":
            guard let ratio = Double(value), ratio >= 0, ratio <= 1 else { throw bad("a number from 0 to 1") }
            minCleanableDirtyRatio = ratio
        case "delete.retention.ms": deleteRetentionMs = try integer(min: 0)
        case "min.compaction.lag.ms": minCompactionLagMs = try integer(min: 0)
        default:
            extra[name] = value
        }
    }

    /// Every setting as `name=value` (for storage and describe).
    public var settings: [String: String] {
        var out = extra
        out["retention.ms"] = String(retentionMs)
        out["retention.bytes"] = String(retentionBytes)
        out["segment.bytes"] = String(segmentBytes)
        out["segment.ms"] = String(segmentMs)
        out["max.message.bytes"] = String(maxMessageBytes)
        out["message.timestamp.type"] = messageTimestampType
        out["canon.flush.policy"] = flushPolicy.rawValue
        out["flush.ms"] = String(flushMs)
        out["cleanup.policy"] = cleanupPolicy.name
        out["min.cleanable.dirty.ratio"] = String(minCleanableDirtyRatio)
        out["delete.retention.ms"] = String(deleteRetentionMs)
        out["min.compaction.lag.ms"] = String(minCompactionLagMs)
        return out
    }
}
