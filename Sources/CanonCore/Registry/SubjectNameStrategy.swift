/// Which subject a key or value schema is registered under: Confluent's subject name strategies.
public enum SubjectNameStrategy: String, Sendable, Hashable, CaseIterable {
    /// `<topic>-key` / `<topic>-value` (Confluent's TopicNameStrategy, the default).
    case topic
    /// The record's full name (RecordNameStrategy).
    case record
    /// `<topic>-<record full name>` (TopicRecordNameStrategy).
    case topicRecord = "topic-record"

    /// Reads `topic`, `record`, `topic-record` (any case) or a strategy's class name, simple or
    /// qualified (`TopicNameStrategy`, `io.confluent.kafka.serializers.subject.RecordNameStrategy`).
    public init?(parsing text: String) {
        if let s = Self(rawValue: text.lowercased()) {
            self = s
            return
        }
        switch text.split(separator: ".").last.map(String.init) ?? text {
        case "TopicNameStrategy": self = .topic
        case "RecordNameStrategy": self = .record
        case "TopicRecordNameStrategy": self = .topicRecord
        default: return nil
        }
    }

    /// Confluent's class name of the strategy (`TopicNameStrategy`, ...).
    public var className: String {
        switch self {
        case .topic: return "TopicNameStrategy"
        case .record: return "RecordNameStrategy"
        case .topicRecord: return "TopicRecordNameStrategy"
        }
    }

    /// The subject of a topic's key (`isKey`) or value schema whose record full name is `recordName`;
    /// `nil` when the strategy needs a record name and the schema has none.
    public func subject(topic: String, isKey: Bool, recordName: String?) -> String? {
        switch self {
        case .topic: return "\(topic)-\(isKey ? "key" : "value")"
        case .record: return recordName
        case .topicRecord: return recordName.map { "\(topic)-\($0)" }
        }
    }
}
