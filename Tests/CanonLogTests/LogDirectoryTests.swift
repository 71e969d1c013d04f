import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Foundation
import Testing

@Suite struct LogDirectoryTests {
    static func record(_ key: String?, _ value: String) -> LogRecord {
        LogRecord(key: key.map { Array($0.utf8) }, value: Array(value.utf8), timestamp: 1_700_000_000_000)
    }

    @Test func topicsAreCreatedAppendedReadAndSurviveReopening() throws {
        let fs = FaultInjectingFileSystem()
        do {
            let dir = try LogDirectory(path: "/data", fileSystem: fs)
            try dir.createTopic("orders", partitions: 4, configuration: try TopicConfiguration(["segment.bytes": "2048"]))
            let placed = try dir.append(topic: "orders", records: (0..<40).map { Self.record("k\($0 % 7)", "v\($0)") })
            // Keyed records follow Kafka's partitioner; offsets are dense per partition.
            for (i, p) in placed.enumerated() {
                #expect(p.partition == KafkaPartitioner.partition(key: Array("k\(i % 7)".utf8), partitions: 4))
            }
            for partition in 0..<4 {
                let offsets = placed.filter { $0.partition == partition }.map(\.offset)
                #expect(offsets == Array(0..<Int64(offsets.count)))
            }
        }
        fs.cutPower()
        let reopened = try LogDirectory(path: "/data", fileSystem: fs)
        #expect(reopened.topics["orders"]?.partitions == 4)
        #expect(reopened.topics["orders"]?.configuration.segmentBytes == 2048)
        let all = try (0..<4).flatMap { p in try reopened.read(topic: "orders", partition: p, from: 0, maxBytes: 1 << 20).flatMap(\.records)
        }
        #expect(all.count == 40)
    }

    @Test func recordsWithoutKeysSpreadRoundRobin() throws {
        let dir = try LogDirectory(path: "/d", fileSystem: FaultInjectingFileSystem())
        try dir.createTopic("events", partitions: 3)
        let placed = try dir.append(topic: "events", records: (0..<6).map { Self.record(nil, "v\($0)") })
        #expect(placed.map(\.partition) == [0, 1, 2, 0, 1, 2])
    }

    @Test func badRequestsAreClearErrorsAndTheLogStaysUsable() throws {
        let dir = try LogDirectory(path: "/d", fileSystem: FaultInjectingFileSystem())
        try dir.createTopic("t", partitions: 2, configuration: try TopicConfiguration(["max.message.bytes": "200"]))
        #expect((#expect(throws: LogError.self) { try dir.append(topic: "nope", records: [Self.record("a", "b")]) })?.code == .unknownTopic)
        #expect((#expect(throws: LogError.self) { try dir.read(topic: "t", partition: 5, from: 0) })?.code == .partitionOutOfRange)
        #expect(
            (#expect(throws: LogError.self) { try dir.append(topic: "t", records: [Self.record("a", String(repeating: "x", count: 500))]) })?
                .code == .recordTooLarge)
        #expect((#expect(throws: LogError.self) { try dir.createTopic("bad name", partitions: 1) })?.code == .invalidTopicName)
        #expect((#expect(throws: LogError.self) { try dir.createTopic("t", partitions: 1) })?.code == .topicExists)
        #expect((#expect(throws: LogError.self) { try dir.createTopic("_schemas", partitions: 1) })?.code == .invalidTopicName)
        try dir.createTopic("_schemas", partitions: 1, isInternal: true)
        #expect(throws: LogError.self) { try dir.deleteTopic("_schemas") }
        // Still appendable and readable.
        let placed = try dir.append(topic: "t", records: [Self.record("a", "b")])
        #expect(try dir.read(topic: "t", partition: placed[0].partition, from: 0).first?.records.first?.value == Array("b".utf8))
    }

    @Test func deletedTopicsAreGoneAndTheirNamesReusable() throws {
        let fs = FaultInjectingFileSystem()
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        try dir.createTopic("t", partitions: 2)
        _ = try dir.append(topic: "t", records: [Self.record("a", "b")])
        try dir.deleteTopic("t")
        #expect(dir.topics["t"] == nil)
        #expect(try fs.contentsOfDirectory("/d").filter { $0.hasPrefix("t") }.isEmpty)
        try dir.createTopic("t", partitions: 1)
        #expect(try dir.partitions(of: "t").first?.nextOffset == 0)
    }

    /// CreatePartitions' log side: the count only goes up; the new partitions start empty and take
    /// records, the old ones keep theirs, across a power cut. A failed or interrupted add leaves the
    /// topic as it was, and the next add succeeds over the leftovers.
    @Test func partitionsAreAddedDurablyAndAllOrNothing() throws {
        func put(_ dir: LogDirectory, _ partition: Int, _ value: String) throws {
            let batch = LogDirectory.PartitionBatch(partition: partition, records: [Self.record("k", value)], indexes: [0])
            let staged = try dir.stage(topic: "t", batches: [batch], count: 1)
            #expect(dir.commit(staged.partitions).isEmpty)
        }
        let fs = FaultInjectingFileSystem()
        do {
            let dir = try LogDirectory(path: "/d", fileSystem: fs)
            try dir.createTopic("t", partitions: 2)
            try put(dir, 1, "old")
            #expect((#expect(throws: LogError.self) { try dir.addPartitions(topic: "t", count: 2) })?.code == .invalidPartitions)
            #expect((#expect(throws: LogError.self) { try dir.addPartitions(topic: "t", count: 1) })?.code == .invalidPartitions)
            #expect((#expect(throws: LogError.self) { try dir.addPartitions(topic: "nope", count: 3) })?.code == .unknownTopic)
            try dir.createTopic("_internal", partitions: 1, isInternal: true)
            #expect((#expect(throws: LogError.self) { try dir.addPartitions(topic: "_internal", count: 2) })?.code == .invalidPartitions)

            // The topic file's rewrite fails: the topic keeps its two partitions.
            fs.inject(.init(.rename, path: "t.topic"))
            #expect(throws: LogError.self) { try dir.addPartitions(topic: "t", count: 4) }
            #expect(dir.topics["t"]?.partitions == 2)
            #expect((#expect(throws: LogError.self) { try put(dir, 2, "x") })?.code == .partitionOutOfRange)

            // A crash after the directories, before the topic file: left behind, then made afresh.
            try fs.createDirectory("/d/t-2")
            let stray = try fs.open("/d/t-2/00000000000000000000.log", create: true)
            try fs.write(stray, Array(repeating: 0xAB, count: 100), at: 0)
            fs.close(stray)
            let grown = try dir.addPartitions(topic: "t", count: 4)
            #expect(grown.partitions == 4)
            try put(dir, 3, "new")
            #expect(try dir.partitions(of: "t").map(\.nextOffset) == [0, 1, 0, 1])
        }
        fs.cutPower()
        let reopened = try LogDirectory(path: "/d", fileSystem: fs)
        #expect(reopened.topics["t"]?.partitions == 4)
        #expect(try reopened.partitions(of: "t").map(\.nextOffset) == [0, 1, 0, 1])
        #expect(try reopened.read(topic: "t", partition: 3, from: 0).first?.records.first?.value == Array("new".utf8))
        #expect(try reopened.read(topic: "t", partition: 1, from: 0).first?.records.first?.value == Array("old".utf8))
    }

    @Test func aSecondOpenerIsRefusedNamingTheHolder() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("canon-dir-\(UUID().uuidString)").path
        let fs = PosixFileSystem()
        let first = try LogDirectory(path: path, fileSystem: fs)
        let error = #expect(throws: LogError.self) { try LogDirectory(path: path, fileSystem: fs) }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("pid \(getpid())") == true)
        _ = first
    }
}
