/// The Kafka APIs Canon answers, with the versions it speaks (the request and response layouts of each
/// are in ``KafkaBroker``). Only ApiVersions v3 is a flexible version (KIP-482): every other API is
/// offered up to its last version before flexible encoding, which current clients negotiate down to.
enum KafkaAPI: Int16, CaseIterable, Sendable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case initProducerID = 22
    case describeConfigs = 32
    case alterConfigs = 33
    case createPartitions = 37
    case incrementalAlterConfigs = 44

    /// The versions answered.
    var versions: ClosedRange<Int16> {
        switch self {
        case .produce: return 3...8
        case .fetch: return 4...11
        case .listOffsets: return 1...5
        case .metadata: return 0...8
        case .apiVersions: return 0...3
        case .offsetCommit: return 2...7
        case .offsetFetch: return 1...5
        case .findCoordinator: return 0...2
        case .joinGroup: return 0...3
        case .heartbeat, .leaveGroup, .syncGroup, .listGroups: return 0...2
        case .describeGroups: return 0...4
        case .createTopics: return 0...4
        case .initProducerID: return 0...1
        case .deleteTopics: return 0...3
        case .describeConfigs: return 0...3
        case .alterConfigs: return 0...1
        case .incrementalAlterConfigs: return 0...0
        case .createPartitions: return 0...1
        }
    }

    /// Whether a request of `version` uses the flexible encoding (compact strings and arrays, tagged
    /// fields, request header v2).
    func isFlexible(_ version: Int16) -> Bool { self == .apiVersions && version >= 3 }
}

/// Kafka's error codes Canon answers with.
enum KafkaErrorCode: Int16, Sendable {
    case none = 0
    case offsetOutOfRange = 1
    case corruptMessage = 2
    case unknownTopicOrPartition = 3
    case messageTooLarge = 10
    case coordinatorNotAvailable = 15
    case illegalGeneration = 22
    case inconsistentGroupProtocol = 23
    case invalidGroupID = 24
    case unknownMemberID = 25
    case invalidSessionTimeout = 26
    case rebalanceInProgress = 27
    case invalidTopic = 17
    case topicAlreadyExists = 36
    case invalidPartitions = 37
    case invalidReplicationFactor = 38
    case invalidReplicaAssignment = 39
    case invalidConfig = 40
    case outOfOrderSequenceNumber = 45
    case invalidProducerEpoch = 47
    case unsupportedVersion = 35
    case invalidRequest = 42
    case kafkaStorageError = 56
    case unsupportedCompressionType = 76
    case invalidRecord = 87
    case unknownServerError = -1
}

/// The request header (v1, and v2 for flexible requests: tagged fields after the client ID, which stays
/// a non-compact string).
struct KafkaRequestHeader: Sendable, Hashable {
    var apiKey: Int16
    var apiVersion: Int16
    var correlationID: Int32
    var clientID: String?
}
