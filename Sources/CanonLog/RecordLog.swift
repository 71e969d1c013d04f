/// The log as everything above it sees it: topics with partitions, appends that are validated and made
/// durable under the topic's flush policy, reads by offset and by time, and the partitions' offsets.
///
/// The REST routes and the registry's store use it; ``LogEngine`` is the embedded implementation (one
/// data directory, group commit on its I/O thread). Nothing above the log reaches into a
/// ``LogDirectory``: a second implementation (a gateway in front of another cluster) plugs in here.
public protocol RecordLog: Sendable {
    /// Every topic, internal ones included, by name.
    func topics() async throws(LogError) -> [LogTopic]

    /// Creates a topic and returns it. Names starting with `_` are internal and need `isInternal`.
    func createTopic(_ name: String, partitions: Int, configuration: TopicConfiguration, isInternal: Bool) async throws(LogError)
        -> LogTopic

    /// Deletes a topic and its data (internal topics cannot be deleted).
    func deleteTopic(_ name: String) async throws(LogError)

    /// Raises a topic's partition count to `count` (the new partitions start empty; the count never goes
    /// down: ``LogError/Code/invalidPartitions``) and returns the topic. Internal topics keep theirs.
    func addPartitions(topic: String, count: Int) async throws(LogError) -> LogTopic

    /// Changes one setting of a topic, durably (internal topics cannot be reconfigured).
    func setConfiguration(topic: String, _ setting: String, _ value: String) async throws(LogError)

    /// Appends a producer's records: keyed records by Kafka's murmur2 rule, the others round-robin.
    /// Every record is validated first; an append with any rejected record is refused whole
    /// (``LogError/Code/invalidRecord``, naming each one) and nothing of it is written. Returns once
    /// the records are durable under the topic's flush policy: each record's partition and offset, in
    /// input order. Internal topics take no producer appends.
    func append(topic: String, records: [LogRecord]) async throws(LogError) -> [(partition: Int, offset: Int64)]

    /// Appends a producer's records to one partition, in order (validated as above).
    func append(topic: String, partition: Int, records: [LogRecord]) async throws(LogError) -> [(partition: Int, offset: Int64)]
    /// The same, as one stored batch carrying an idempotent producer's fields (its ID, epoch and first
    /// sequence number), which reads return. With `encoded` (the producer's own batch of these
    /// records, checked), those bytes are stored instead of encoding `records` again; the records are
    /// still validated.
    func append(topic: String, partition: Int, records: [LogRecord], producer: ProducerFields?, encoded: PreparedBatch?)
        async throws(LogError) -> [(partition: Int, offset: Int64)]

    /// The same, in two steps: the records are validated and the append queued before this returns (so
    /// appends started one after another are written in that order), and the returned
    /// ``PendingAppend`` is awaited for the outcome. A refusal before queueing is thrown here.
    func startAppend(topic: String, partition: Int, records: [LogRecord], producer: ProducerFields?, encoded: PreparedBatch?)
        throws(LogError) -> PendingAppend

    /// Appends to an internal topic (its owner's records: not validated), only when the partition's
    /// next offset is `expectedNextOffset` (``LogError/Code/unexpectedOffset`` otherwise, nothing
    /// written): the owner's writes follow exactly the state it read. Same durability as a producer's.
    func appendToInternalTopic(_ topic: String, partition: Int, records: [LogRecord], expectedNextOffset: Int64) async throws(LogError)
        -> [(partition: Int, offset: Int64)]

    /// Visible batches of a partition from `offset` on, up to about `maxBytes` (at least one batch when
    /// any is there).
    func read(topic: String, partition: Int, from offset: Int64, maxBytes: Int) async throws(LogError) -> [RecordBatch]

    /// A partition's status, and its batches from `offset` on as stored (up to about `maxBytes`, at
    /// least one when any is there), when `offset` is visible: what a Kafka Fetch serves unchanged.
    func readStored(topic: String, partition: Int, from offset: Int64, maxBytes: Int) async throws(LogError) -> StoredRead

    /// Each partition's offsets and state, in partition order.
    func partitions(of topic: String) async throws(LogError) -> [PartitionStatus]

    /// The first offset of a partition whose record's timestamp is at or after `timestamp`, or nil.
    func offset(topic: String, partition: Int, forTimestamp timestamp: Int64) async throws(LogError) -> Int64?

    /// A named number kept durably apart from every topic, that only goes up (0 when never raised):
    /// losing, deleting or repairing a topic's data does not lower it. The registry keeps the highest
    /// schema ID it issued here.
    func highWaterMark(_ name: String) async throws(LogError) -> Int64

    /// Raises a high-water mark to `value`, durably before returning (a lower value changes nothing).
    func raiseHighWaterMark(_ name: String, to value: Int64) async throws(LogError)
}

extension RecordLog {
    /// The topic of that name, or nil.
    public func topic(_ name: String) async throws(LogError) -> LogTopic? {
        try await topics().first { $0.name == name }
    }

    /// Creates a user topic.
    @discardableResult
    public func createTopic(_ name: String, partitions: Int, configuration: TopicConfiguration = TopicConfiguration())
        async throws(LogError)
        -> LogTopic
    {
        try await createTopic(name, partitions: partitions, configuration: configuration, isInternal: false)
    }

    /// Visible batches from `offset` on, up to about 1 MiB.
    public func read(topic: String, partition: Int, from offset: Int64) async throws(LogError) -> [RecordBatch] {
        try await read(topic: topic, partition: partition, from: offset, maxBytes: 1 << 20)
    }
}

/// A topic's shape and settings.
public struct LogTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var configuration: TopicConfiguration

    public init(name: String, partitions: Int, configuration: TopicConfiguration) {
        self.name = name
        self.partitions = partitions
        self.configuration = configuration
    }
}

/// A partition's status and stored batches, read at the same moment (``RecordLog/readStored(topic:partition:from:maxBytes:)``).
public struct StoredRead: Sendable {
    public var status: PartitionStatus
    /// Empty when the offset asked for is not visible (below the start, at or beyond the visible end).
    public var batches: [StoredBatch]

    public init(status: PartitionStatus, batches: [StoredBatch]) {
        self.status = status
        self.batches = batches
    }
}

/// Where a partition's records are, and whether it takes appends.
public struct PartitionStatus: Sendable, Equatable {
    /// The first offset still stored (retention moves it up).
    public var startOffset: Int64
    /// The end of what readers see: records below it are durable under the topic's flush policy
    /// (Kafka's high watermark).
    public var visibleEndOffset: Int64
    /// The offset the next record gets (beyond `visibleEndOffset` while appends wait for their sync).
    public var nextOffset: Int64
    public var state: PartitionLog.State

    public init(startOffset: Int64, visibleEndOffset: Int64, nextOffset: Int64, state: PartitionLog.State) {
        self.startOffset = startOffset
        self.visibleEndOffset = visibleEndOffset
        self.nextOffset = nextOffset
        self.state = state
    }
}
