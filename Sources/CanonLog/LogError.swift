/// The one error type of the log engine: a code to switch on, a message, and where (topic, partition,
/// file, byte position).
public struct LogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: new codes are added as static members.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A topic name outside Kafka's rule (1–249 of `[A-Za-z0-9._-]`, not `.` or `..`).
        public static let invalidTopicName = Code(rawValue: "invalid-topic-name")
        /// A record batch whose bytes are not a valid Kafka record batch v2 (CRC, lengths, varints, offsets).
        public static let corruptBatch = Code(rawValue: "corrupt-batch")
        /// A file-system call failed (the message carries the errno text).
        public static let io = Code(rawValue: "io")
        /// No space left on the device.
        public static let noSpace = Code(rawValue: "no-space")
        /// The data directory is locked by another process.
        public static let locked = Code(rawValue: "locked")
        /// A record or batch larger than the topic allows.
        public static let recordTooLarge = Code(rawValue: "record-too-large")
        /// No topic of that name.
        public static let unknownTopic = Code(rawValue: "unknown-topic")
        /// A topic of that name exists.
        public static let topicExists = Code(rawValue: "topic-exists")
        /// A partition number outside the topic's partitions.
        public static let partitionOutOfRange = Code(rawValue: "partition-out-of-range")
        /// A topic setting with a bad value, or one not supported.
        public static let invalidConfiguration = Code(rawValue: "invalid-configuration")
        /// A partition count a topic cannot take (fewer than it has, or past a limit).
        public static let invalidPartitions = Code(rawValue: "invalid-partitions")
        /// A conditional append found the partition at another next offset than the one it expected.
        public static let unexpectedOffset = Code(rawValue: "unexpected-offset")
        /// Acknowledged records are missing or damaged: the partition serves none of them and takes no
        /// appends until `canon log repair` (see ``PartitionLog/Damage``).
        public static let damaged = Code(rawValue: "damaged")
    }

    /// Where an error was found. Any combination of the parts may be present.
    public struct Location: Sendable, Hashable, CustomStringConvertible {
        public var topic: String?
        public var partition: Int?
        /// A file path (a segment, an index, the lock file).
        public var file: String?
        /// A byte position in the file or batch.
        public var position: Int?

        public init(topic: String? = nil, partition: Int? = nil, file: String? = nil, position: Int? = nil) {
            self.topic = topic
            self.partition = partition
            self.file = file
            self.position = position
        }

        public var description: String {
            var parts: [String] = []
            if let topic { parts.append(partition.map { "\(topic)-\($0)" } ?? topic) }
            if let file { parts.append(file) }
            if let position { parts.append("at byte \(position)") }
            return parts.joined(separator: " ")
        }
    }

    public var code: Code
    public var message: String
    public var location: Location
    /// For `invalidRecord`: every rejected record, by index in the append, with the validator's reason.
    public var rejections: [RecordRejection] = []

    public init(_ code: Code, _ message: String, location: Location = Location()) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        let where_ = location.description
        return where_.isEmpty ? message : "\(where_): \(message)"
    }
}
