/// Checks records at the append path, before they reach the partition writer (the registry's schema
/// validation plugs in here). Internal topics (names starting with `_`) take no appends through the
/// engine's producer path, so they are never validated.
public protocol RecordValidator: Sendable {
    /// The rejected records of one partition's batch, by index in `records`, each with a reason; an
    /// empty result accepts the batch. `configuration` is the topic's (its `extra` settings carry the
    /// validation policy of the layer above).
    func validate(topic: String, configuration: TopicConfiguration, partition: Int, records: [LogRecord]) -> [RecordRejection]
    /// Refuses topic settings the validator cannot work with (an unknown name, a bad validation level),
    /// naming the setting (``LogError/Code/invalidConfiguration``). The log asks before it creates a
    /// topic or changes a setting, whichever door the change comes through.
    func checkSettings(_ settings: [String: String]) throws(LogError)
}

extension RecordValidator {
    /// Every setting is acceptable.
    public func checkSettings(_ settings: [String: String]) throws(LogError) {}
}

/// A record a ``RecordValidator`` refused.
public struct RecordRejection: Sendable, Hashable {
    /// The record's index: in the batch given to the validator, or (in ``LogError/rejections``) in the
    /// append.
    public var index: Int
    public var reason: String
    /// Which part of the record was refused: `key`, `value` or `headers`.
    public var part: String?
    /// The schema the part was checked against, if any.
    public var schemaID: Int32?
    /// Where in the schema (a JSON path) and in the part's bytes the problem is, when known.
    public var path: String?
    public var byteOffset: Int?
    /// The validator's code for the class of reason (documented by the validator).
    public var code: Int?

    public init(
        index: Int, reason: String, part: String? = nil, schemaID: Int32? = nil, path: String? = nil, byteOffset: Int? = nil,
        code: Int? = nil
    ) {
        self.index = index
        self.reason = reason
        self.code = code
        self.part = part
        self.schemaID = schemaID
        self.path = path
        self.byteOffset = byteOffset
    }
}
