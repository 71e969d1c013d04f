import CanonCore
import CanonLog

/// Write-time validation of produced records against the registry, as a log ``RecordValidator``: it
/// runs on the producer's task, reading the registry's ``SchemaCatalog`` (no waiting on the registry).
///
/// Per topic and part (key, value), per its ``TopicValidationPolicy``:
/// - `id`: the Confluent wire prefix (byte 0 is 0, then a big-endian 4-byte schema ID), and the ID is
///   registered under the subject the strategy names (any version, soft-deleted ones included, or only
///   the latest with `schema.versions=latest`);
/// - `full`: also, the payload after the prefix is one valid datum of that writer schema, with no bytes
///   left (``AvroDatumValidator``: the decoder's rules, plus strict uuid, decimal and block-size checks).
///
/// Null keys pass; a null value (a tombstone) passes unless `value.tombstones=reject`. Magic byte 1 (a
/// GUID) and IDs in `__key_schema_id`/`__value_schema_id` headers are refused, naming them.
public struct RegistryRecordValidator: RecordValidator {
    /// The code of each class of refusal (``RecordRejection/code``; the HTTP API's `error_code`).
    public enum ReasonCode {
        /// Not the Confluent wire format: too short, magic byte not 0 (1 is a GUID), an ID in a header.
        public static let wireFormat = 42291
        /// The schema ID is not registered.
        public static let unknownSchema = 42292
        /// The ID is not registered under the subject the strategy names (or not its latest version).
        public static let wrongSubject = 42293
        /// The payload is not a valid datum of the writer schema (`full`).
        public static let payload = 42294
        /// A tombstone on a topic that refuses them.
        public static let tombstone = 42295
        /// The topic's validation settings are invalid.
        public static let settings = 42296
    }

    public let catalog: SchemaCatalog
    /// The level for topics that set none (a server option).
    public let defaultLevel: TopicValidationPolicy.Level

    /// Policies parsed from topic settings, by the settings: parsing (sorting, trimming, matching names)
    /// costs more than checking the frames of a partition's share of a batch.
    private let policies = Locked<[[String: String]: TopicValidationPolicy]>([:])

    public init(catalog: SchemaCatalog, defaultLevel: TopicValidationPolicy.Level = .none) {
        self.catalog = catalog
        self.defaultLevel = defaultLevel
    }

    /// Known setting names only (a typo would leave a topic silently unvalidated) and valid validation
    /// settings.
    public func checkSettings(_ settings: [String: String]) throws(LogError) {
        for name in settings.keys.sorted() { try TopicValidationPolicy.checkSettingName(name) }
        _ = try TopicValidationPolicy(settings: settings)
    }

    public func validate(topic: String, configuration: TopicConfiguration, partition: Int, records: [LogRecord]) -> [RecordRejection] {
        let policy: TopicValidationPolicy
        do {
            if let known = policies.withValue({ $0[configuration.extra] }) {
                policy = known
            } else {
                policy = try TopicValidationPolicy(settings: configuration.extra, defaultLevel: defaultLevel)
                policies.withValue { all in
                    if all.count >= 1024 { all = [:] }  // settings change rarely; keep the cache small
                    all[configuration.extra] = policy
                }
            }
        } catch {
            return records.indices.map {
                RecordRejection(
                    index: $0, reason: "the topic's validation settings are invalid: \(error.message)", code: ReasonCode.settings)
            }
        }
        guard policy.key != .none || policy.value != .none || !policy.allowTombstones else { return [] }
        let snapshot = catalog.snapshot
        var rejections: [RecordRejection] = []
        // The ID checks (registered, under the subject) depend on the ID and part only: once per run of
        // records with the same ID.
        var memo = Memo()
        // Keys that need no look (level none, or no key) are skipped without a call.
        let checkKeys = policy.key != .none
        for i in records.indices {
            // Fast path: a value framed with the ID the previous value passed with, no headers: only the
            // payload is left to check.
            if !checkKeys || records[i].key == nil, let passed = memo.passedValue, records[i].headers.isEmpty,
                let value = records[i].value, value.count >= 5, value[0] == 0,
                ConfluentFraming.schemaID(value) == passed.id
            {
                guard policy.value == .full else { continue }
                do {
                    try passed.writer.validator.validatePayload(value, from: 5, limits: policy.limits)
                    continue
                } catch {}  // the slow path below says why
            }
            if let problem = check(
                records[i].key, part: .key, level: policy.key, strategy: policy.keyStrategy, topic: topic, policy: policy,
                headers: records[i].headers, snapshot: snapshot, memo: &memo)
            {
                rejections.append(problem.rejection(index: i, part: "key"))
                continue
            }
            if let problem = check(
                records[i].value, part: .value, level: policy.value, strategy: policy.valueStrategy, topic: topic, policy: policy,
                headers: records[i].headers, snapshot: snapshot, memo: &memo)
            {
                rejections.append(problem.rejection(index: i, part: "value"))
            }
        }
        return rejections
    }

    /// The part of a record being checked.
    private enum Part: String {
        case key, value
    }

    /// Per batch: the last ID per part with the verdict of its ID checks (no problem when it passed) and
    /// its schema.
    private struct Memo {
        var lastKey: (id: Int32, verdict: (problem: Problem?, schema: WriterSchema?))?
        var lastValue: (id: Int32, verdict: (problem: Problem?, schema: WriterSchema?))?
        /// The last ID a value passed the ID checks with, and its schema.
        var passedValue: (id: Int32, writer: WriterSchema)?
    }

    private struct Problem {
        var code: Int
        var reason: String
        var schemaID: Int32?
        var path: String?
        var byteOffset: Int?

        /// The log's rejection of record `index` for this problem in its `part` ("key" or "value").
        func rejection(index: Int, part: String) -> RecordRejection {
            RecordRejection(index: index, reason: reason, part: part, schemaID: schemaID, path: path, byteOffset: byteOffset, code: code)
        }
    }

    private func check(
        _ bytes: [UInt8]?, part: Part, level: TopicValidationPolicy.Level, strategy: TopicValidationPolicy.SubjectStrategy,
        topic: String, policy: TopicValidationPolicy, headers: [LogHeader], snapshot: SchemaCatalog.Snapshot, memo: inout Memo
    ) -> Problem? {
        if bytes == nil, part == .value, !policy.allowTombstones {
            return Problem(code: ReasonCode.tombstone, reason: "tombstones (null values) are refused on this topic")
        }
        guard level != .none else { return nil }
        if !headers.isEmpty, headers.contains(where: { $0.key == "__\(part.rawValue)_schema_id" }) {
            return Problem(
                code: ReasonCode.wireFormat,
                reason:
                    "schema IDs carried in the __\(part.rawValue)_schema_id header are not supported; put the Confluent prefix in the \(part.rawValue)"
            )
        }
        guard let bytes else {
            if part == .value && !policy.allowTombstones {
                return Problem(code: ReasonCode.tombstone, reason: "tombstones (null values) are refused on this topic")
            }
            return nil
        }
        guard bytes.count >= 5 else {
            return Problem(
                code: ReasonCode.wireFormat,
                reason: "\(bytes.count) byte(s) cannot hold the Confluent wire prefix (magic byte 0 and a 4-byte schema ID)", byteOffset: 0)
        }
        switch bytes[0] {
        case 0: break
        case 1:
            return Problem(
                code: ReasonCode.wireFormat, reason: "magic byte 1 (a schema GUID) is not supported; use magic byte 0 with a schema ID",
                byteOffset: 0)
        default:
            return Problem(
                code: ReasonCode.wireFormat, reason: "magic byte \(bytes[0]) is not the Confluent wire format (0)", byteOffset: 0)
        }
        let id = ConfluentFraming.schemaID(bytes)
        let verdict: (problem: Problem?, schema: WriterSchema?)
        // A batch mostly carries one schema per part: the last verdict per part is kept, no dictionary.
        if let last = part == .key ? memo.lastKey : memo.lastValue, last.id == id {
            verdict = last.verdict
        } else {
            verdict = idVerdict(id, part: part, strategy: strategy, topic: topic, policy: policy, snapshot: snapshot)
            if part == .key { memo.lastKey = (id, verdict) } else { memo.lastValue = (id, verdict) }
        }
        if let problem = verdict.problem { return problem }
        guard let writer = verdict.schema else { return nil }
        if part == .value { memo.passedValue = (id, writer) }
        guard level == .full else { return nil }
        do {
            try writer.validator.validatePayload(bytes, from: 5, limits: policy.limits)
        } catch {
            return Problem(
                code: ReasonCode.payload, reason: error.message, schemaID: id, path: error.path, byteOffset: error.byteOffset.map { $0 + 5 }
            )
        }
        return nil
    }

    /// Whether an ID is registered, under the subject the strategy names (or its latest version).
    private func idVerdict(
        _ id: Int32, part: Part, strategy: TopicValidationPolicy.SubjectStrategy, topic: String, policy: TopicValidationPolicy,
        snapshot: SchemaCatalog.Snapshot
    ) -> (problem: Problem?, schema: WriterSchema?) {
        guard let writer = snapshot.schemas[id] else {
            return (Problem(code: ReasonCode.unknownSchema, reason: "schema ID \(id) is not registered", schemaID: id, byteOffset: 1), nil)
        }
        guard let subject = strategy.subject(topic: topic, isKey: part == .key, recordName: writer.schema.recordName) else {
            return (
                Problem(
                    code: ReasonCode.wrongSubject,
                    reason: "schema ID \(id) is not a named type, so the \(strategy.rawValue) subject strategy has no subject for it",
                    schemaID: id), nil
            )
        }
        if policy.latestOnly {
            guard snapshot.latest[subject] == id else {
                return (
                    Problem(
                        code: ReasonCode.wrongSubject, reason: "schema ID \(id) is not the latest version of subject '\(subject)'",
                        schemaID: id, byteOffset: 1), nil
                )
            }
        } else if snapshot.members[subject]?.contains(id) != true {
            return (
                Problem(
                    code: ReasonCode.wrongSubject, reason: "schema ID \(id) is not registered under subject '\(subject)'", schemaID: id,
                    byteOffset: 1), nil
            )
        }
        return (nil, writer)
    }
}
