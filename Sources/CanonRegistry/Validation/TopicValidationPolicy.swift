import CanonCore
import CanonLog
import Foundation

/// A topic's write-time validation policy, read from its settings (key and value separately):
/// `key.schema.validation` / `value.schema.validation`, `key.subject.name.strategy` /
/// `value.subject.name.strategy`, `value.tombstones`, `schema.versions`. Confluent's and Redpanda's
/// names are accepted as aliases.
public struct TopicValidationPolicy: Sendable, Hashable {
    /// How much of a key or value is checked.
    public enum Level: String, Sendable, Hashable, CaseIterable {
        /// Nothing.
        case none
        /// The Confluent wire prefix (magic 0, a 4-byte ID), and that the ID is registered under the
        /// subject the strategy names.
        case id
        /// `id`, plus the whole payload decodes with the writer schema, with no bytes left over.
        case full
    }

    /// Which subject a key or value's schema must be registered under.
    public typealias SubjectStrategy = SubjectNameStrategy

    public var key: Level = .none
    public var value: Level = .none
    public var keyStrategy: SubjectStrategy = .topic
    public var valueStrategy: SubjectStrategy = .topic
    /// Whether a record with a null value (a tombstone) passes value validation.
    public var allowTombstones = true
    /// Only the subject's latest live version (`schema.versions=latest`) instead of any registered one.
    public var latestOnly = false
    /// The hostile-input limits a payload is validated under; `validation.max.empty.items` sets the
    /// per-record budget of items that take no bytes (default ``PayloadLimits/maxEmptyItems``).
    public var limits = PayloadLimits.default

    public init() {}

    /// The policy a topic's settings give; `defaultLevel` applies where a topic sets none. Unknown
    /// values are errors naming the setting.
    public init(settings: [String: String], defaultLevel: Level = .none) throws(LogError) {
        key = defaultLevel
        value = defaultLevel
        // Aliases first, then Canon's own names, each in name order: the same settings always give the
        // same policy, and a canonical name wins over an alias.
        let ordered = settings.sorted { a, b in
            let aliasA = a.key.hasPrefix("confluent.") || a.key.hasPrefix("redpanda.")
            let aliasB = b.key.hasPrefix("confluent.") || b.key.hasPrefix("redpanda.")
            return aliasA != aliasB ? aliasA : a.key < b.key
        }
        for (name, raw) in ordered {
            let value = raw.trimmingCharacters(in: .whitespaces)
            func bad(_ expected: String) -> LogError {
                LogError(.invalidConfiguration, "invalid value '\(raw)' for \(name): expected \(expected)")
            }
            switch name {
            case "key.schema.validation", "value.schema.validation":
                guard let level = Level(rawValue: value.lowercased()) else { throw bad("none, id or full") }
                if name.hasPrefix("key") { key = level } else { self.value = level }
            case "confluent.key.schema.validation", "confluent.value.schema.validation",
                "redpanda.key.schema.id.validation", "redpanda.value.schema.id.validation":
                guard let on = Bool(value.lowercased()) else { throw bad("true or false") }
                let level: Level = on ? .id : .none
                if name.contains(".key.") { key = level } else { self.value = level }
            case "key.subject.name.strategy", "value.subject.name.strategy",
                "confluent.key.subject.name.strategy", "confluent.value.subject.name.strategy",
                "redpanda.key.subject.name.strategy", "redpanda.value.subject.name.strategy":
                guard let strategy = Self.strategy(value) else {
                    throw bad(
                        "topic, record, topic-record, or a strategy class name such as io.confluent.kafka.serializers.subject.TopicNameStrategy"
                    )
                }
                if name.contains("key.") { keyStrategy = strategy } else { valueStrategy = strategy }
            case "value.tombstones":
                guard value == "allow" || value == "reject" else { throw bad("allow or reject") }
                allowTombstones = value == "allow"
            case "schema.versions":
                guard value == "any" || value == "latest" else { throw bad("any or latest") }
                latestOnly = value == "latest"
            case "validation.max.empty.items":
                guard let n = Int(value), n >= 0 else { throw bad("a number of items, 0 or more") }
                limits.maxEmptyItems = n
            default:
                continue
            }
        }
    }

    /// Setting names this policy reads (Canon's and the aliases).
    public static let settingNames: Set<String> = [
        "key.schema.validation", "value.schema.validation", "key.subject.name.strategy", "value.subject.name.strategy",
        "value.tombstones", "schema.versions", "validation.max.empty.items",
        "confluent.key.schema.validation", "confluent.value.schema.validation", "redpanda.key.schema.id.validation",
        "redpanda.value.schema.id.validation", "confluent.key.subject.name.strategy", "confluent.value.subject.name.strategy",
        "redpanda.key.subject.name.strategy", "redpanda.value.subject.name.strategy",
    ]

    /// Kafka's topic-level setting names (accepted and kept; the log reads those it implements).
    public static let kafkaSettingNames: Set<String> = [
        "cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
        "follower.replication.throttled.replicas", "index.interval.bytes", "leader.replication.throttled.replicas",
        "local.retention.bytes", "local.retention.ms", "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable",
        "message.format.version", "message.timestamp.after.max.ms", "message.timestamp.before.max.ms",
        "message.timestamp.difference.max.ms", "message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms",
        "min.insync.replicas", "preallocate", "remote.storage.enable", "retention.bytes", "retention.ms", "segment.bytes",
        "segment.index.bytes", "segment.jitter.ms", "segment.ms", "unclean.leader.election.enable", "canon.flush.policy",
    ]

    /// Refuses a setting name that neither Kafka, Canon's validation nor the log knows, so that a typo
    /// (`value.schema.validaton`) is an error rather than a topic that is silently never validated.
    public static func checkSettingName(_ name: String) throws(LogError) {
        guard settingNames.contains(name) || kafkaSettingNames.contains(name) else {
            throw LogError(.invalidConfiguration, "unknown topic setting '\(name)'")
        }
    }

    static func strategy(_ text: String) -> SubjectStrategy? { SubjectNameStrategy(parsing: text) }
}
