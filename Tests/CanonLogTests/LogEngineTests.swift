import CanonLog
import CanonTestSupport
import Testing

@Suite struct LogEngineTests {
    @Test func stagedAppendsShareOneFlushPerPartition() throws {
        let fs = FaultInjectingFileSystem()
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        try dir.createTopic("t", partitions: 2)
        // The first flush of each partition also writes its recovery checkpoint; count after it.
        let other = (0..<50).map { "k\($0)" }.first { KafkaPartitioner.partition(key: Array($0.utf8), partitions: 2) != KafkaPartitioner.partition(key: Array("a".utf8), partitions: 2) }!
        _ = try dir.append(topic: "t", records: [LogRecord(key: Array("a".utf8), value: [0], timestamp: 0), LogRecord(key: Array(other.utf8), value: [0], timestamp: 0)])
        let a = try dir.stage(topic: "t", records: [LogRecord(key: Array("a".utf8), value: [1], timestamp: 0)])
        let b = try dir.stage(topic: "t", records: [LogRecord(key: Array("a".utf8), value: [2], timestamp: 0)])
        // Not visible before the commit.
        #expect(try dir.read(topic: "t", partition: a.placements[0].partition, from: 1).isEmpty)
        let before = fs.syncCount
        #expect(dir.commit(a.partitions.union(b.partitions)).isEmpty)
        #expect(fs.syncCount - before == a.partitions.union(b.partitions).count)
        #expect(try dir.read(topic: "t", partition: a.placements[0].partition, from: 1).flatMap(\.records).map(\.value) == [[1], [2]])
    }

    @Test func anAppendTooLargeForOnePartitionLeavesNothingInTheOthers() throws {
        let dir = try LogDirectory(path: "/d", fileSystem: FaultInjectingFileSystem())
        try dir.createTopic("t", partitions: 2, configuration: try TopicConfiguration(["max.message.bytes": "300"]))
        // Find keys for both partitions; make the second partition's batch too large.
        let keys = (0..<50).map { "k\($0)" }
        let k0 = keys.first { KafkaPartitioner.partition(key: Array($0.utf8), partitions: 2) == 0 }!
        let k1 = keys.first { KafkaPartitioner.partition(key: Array($0.utf8), partitions: 2) == 1 }!
        #expect(throws: LogError.self) {
            try dir.append(topic: "t", records: [
                LogRecord(key: Array(k0.utf8), value: [1], timestamp: 0),
                LogRecord(key: Array(k1.utf8), value: Array(repeating: 9, count: 400), timestamp: 0),
            ])
        }
        #expect(try dir.partitions(of: "t").map(\.nextOffset) == [0, 0])
    }

    @Test func concurrentProducersGetDenseDurableOffsets() async throws {
        let fs = FaultInjectingFileSystem()
        let engine = try LogEngine(path: "/d", fileSystem: fs)
        try await engine.withDirectory { try $0.createTopic("orders", partitions: 4) }
        let placements = try await withThrowingTaskGroup(of: [(partition: Int, offset: Int64)].self) { group in
            for producer in 0..<16 {
                group.addTask {
                    var mine: [(partition: Int, offset: Int64)] = []
                    for i in 0..<25 {
                        let records = (0..<10).map { LogRecord(key: Array("p\(producer)-\(i)-\($0)".utf8), value: [UInt8(producer)], timestamp: 0) }
                        mine += try await engine.append(topic: "orders", records: records)
                    }
                    return mine
                }
            }
            var all: [(partition: Int, offset: Int64)] = []
            for try await part in group { all += part }
            return all
        }
        #expect(placements.count == 16 * 25 * 10)
        for p in 0..<4 {
            let offsets = placements.filter { $0.partition == p }.map(\.offset).sorted()
            #expect(offsets == Array(0..<Int64(offsets.count)), "partition \(p)")
        }
        // Everything acknowledged survives a power cut.
        await engine.shutdown()
        fs.cutPower()
        let reopened = try LogDirectory(path: "/d", fileSystem: fs)
        let stored = try (0..<4).reduce(0) { total, p in total + (try reopened.read(topic: "orders", partition: p, from: 0, maxBytes: 1 << 30).flatMap(\.records).count) }
        #expect(stored == placements.count)
        let stats = engine.commitStatistics
        #expect(stats.appends == 16 * 25)
        #expect(stats.commits <= stats.appends)
    }

    @Test func aFailedFlushFailsTheWaitingAppends() async throws {
        let fs = FaultInjectingFileSystem()
        let engine = try LogEngine(path: "/d", fileSystem: fs)
        try await engine.withDirectory { try $0.createTopic("t", partitions: 1) }
        fs.inject(.init(.sync, path: "t-0", error: .io))
        await #expect(throws: LogError.self) { try await engine.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 0)]) }
        // The partition is read-only now; later appends fail too.
        await #expect(throws: LogError.self) { try await engine.append(topic: "t", records: [LogRecord(key: nil, value: [2], timestamp: 0)]) }
        await engine.shutdown()
        await #expect(throws: LogError.self) { try await engine.append(topic: "t", records: [LogRecord(key: nil, value: [3], timestamp: 0)]) }
    }
}
