import Foundation
import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Testing

@Suite struct LogEngineTests {
    @Test func stagedAppendsShareOneFlushPerPartition() throws {
        let fs = FaultInjectingFileSystem()
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        try dir.createTopic("t", partitions: 2)
        // The first flush of each partition also writes its recovery checkpoint; count after it.
        let other = (0..<50).map { "k\($0)" }.first {
            KafkaPartitioner.partition(key: Array($0.utf8), partitions: 2)
                != KafkaPartitioner.partition(key: Array("a".utf8), partitions: 2)
        }!
        _ = try dir.append(
            topic: "t",
            records: [
                LogRecord(key: Array("a".utf8), value: [0], timestamp: 0), LogRecord(key: Array(other.utf8), value: [0], timestamp: 0),
            ])
        let a = try dir.stage(topic: "t", records: [LogRecord(key: Array("a".utf8), value: [1], timestamp: 0)])
        let b = try dir.stage(topic: "t", records: [LogRecord(key: Array("a".utf8), value: [2], timestamp: 0)])
        // Not visible before the commit.
        #expect(try dir.read(topic: "t", partition: a.placements[0].partition, from: 1).isEmpty)
        let before = fs.syncCount
        #expect(dir.commit(a.partitions.union(b.partitions)).isEmpty)
        // One sync of the segment and one of its acknowledged mark per partition, for both appends.
        #expect(fs.syncCount - before == 2 * a.partitions.union(b.partitions).count)
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
            try dir.append(
                topic: "t",
                records: [
                    LogRecord(key: Array(k0.utf8), value: [1], timestamp: 0),
                    LogRecord(key: Array(k1.utf8), value: Array(repeating: 9, count: 400), timestamp: 0),
                ])
        }
        #expect(try dir.partitions(of: "t").map(\.nextOffset) == [0, 0])
    }

    @Test func concurrentProducersGetDenseDurableOffsets() async throws {
        let fs = FaultInjectingFileSystem()
        let engine = try LogEngine(path: "/d", fileSystem: fs)
        try await engine.createTopic("orders", partitions: 4)
        let placements = try await withThrowingTaskGroup(of: [(partition: Int, offset: Int64)].self) { group in
            for producer in 0..<16 {
                group.addTask {
                    var mine: [(partition: Int, offset: Int64)] = []
                    for i in 0..<25 {
                        let records = (0..<10).map {
                            LogRecord(key: Array("p\(producer)-\(i)-\($0)".utf8), value: [UInt8(producer)], timestamp: 0)
                        }
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
        let stored = try (0..<4).reduce(0) { total, p in
            total + (try reopened.read(topic: "orders", partition: p, from: 0, maxBytes: 1 << 30).flatMap(\.records).count)
        }
        #expect(stored == placements.count)
        let stats = engine.commitStatistics
        #expect(stats.batches >= 16 * 25)  // each append is one batch per partition it touches
        #expect(stats.syncs >= 1 && stats.syncs <= stats.batches)
    }

    @Test func aFailedFlushFailsTheWaitingAppendsAndTakesThemBackFromTheFiles() async throws {
        let fs = FaultInjectingFileSystem()
        var engine = try LogEngine(path: "/d", fileSystem: fs)
        try await engine.createTopic("t", partitions: 1)
        _ = try await engine.append(topic: "t", records: [LogRecord(key: nil, value: [0], timestamp: 0)])
        fs.inject(.init(.sync, path: "t-0", error: .io))
        await #expect(throws: LogError.self) {
            try await engine.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 0)])
        }
        // The partition is read-only now; later appends fail too.
        await #expect(throws: LogError.self) {
            try await engine.append(topic: "t", records: [LogRecord(key: nil, value: [2], timestamp: 0)])
        }
        await engine.shutdown()
        await #expect(throws: LogError.self) {
            try await engine.append(topic: "t", records: [LogRecord(key: nil, value: [3], timestamp: 0)])
        }
        // Reopened without a power cut (the page cache kept every write): the failed append is not
        // back, and its offset goes to the next record.
        fs.clearFaults()
        engine = try LogEngine(path: "/d", fileSystem: fs)
        #expect(try await engine.read(topic: "t", partition: 0, from: 0).flatMap(\.records).map(\.value) == [[0]])
        #expect(try await engine.append(topic: "t", records: [LogRecord(key: nil, value: [4], timestamp: 0)]).map(\.offset) == [1])
        await engine.shutdown()
    }
}

/// Rejects records whose value is not the text of an even number; counts its calls.
struct EvenNumbersOnly: RecordValidator {
    func validate(topic: String, configuration: TopicConfiguration, partition: Int, records: [LogRecord]) -> [RecordRejection] {
        records.enumerated().compactMap { i, record in
            guard let value = record.value, let n = Int(String(decoding: value, as: UTF8.self)) else {
                return RecordRejection(index: i, reason: "value is not a number")
            }
            return n % 2 == 0 ? nil : RecordRejection(index: i, reason: "\(n) is odd")
        }
    }
}

@Suite struct LogEngineServiceTests {
    static func record(_ key: String?, _ value: String, at timestamp: Int64 = 0) -> LogRecord {
        LogRecord(key: key.map { Array($0.utf8) }, value: Array(value.utf8), timestamp: timestamp)
    }

    @Test func aValidatorRejectsTheWholeAppendNamingEveryRejectedRecord() async throws {
        let fs = FaultInjectingFileSystem()
        let engine = try LogEngine(path: "/d", fileSystem: fs, validator: EvenNumbersOnly())
        try await engine.createTopic("numbers", partitions: 3)
        let records = ["2", "3", "4", "x", "6"].enumerated().map { Self.record("k\($0.offset)", $0.element) }
        do {
            _ = try await engine.append(topic: "numbers", records: records)
            Issue.record("the append was accepted")
        } catch {
            #expect(error.code == .invalidRecord)
            // Indexes are the records' places in the append, whichever partition they went to.
            #expect(
                error.rejections == [
                    RecordRejection(index: 1, reason: "3 is odd"), RecordRejection(index: 3, reason: "value is not a number"),
                ])
            #expect(error.message.contains("2 of 5 record(s) rejected, nothing written"))
            #expect(error.location.topic == "numbers")
        }
        // Nothing of it was written, to any partition.
        #expect(try await engine.partitions(of: "numbers").map(\.nextOffset) == [0, 0, 0])
        let placed = try await engine.append(topic: "numbers", records: [Self.record("a", "8"), Self.record("b", "10")])
        #expect(placed.count == 2)
        // Internal topics take no appends from producers (their owner's appends are conditional and not validated).
        _ = try await engine.createTopic("_internal", partitions: 1, configuration: TopicConfiguration(), isInternal: true)
        let refused = await #expect(throws: LogError.self) {
            _ = try await engine.append(topic: "_internal", records: [Self.record(nil, "odd 1")])
        }
        #expect(refused?.code == .invalidTopicName)
        #expect(
            try await engine.appendToInternalTopic("_internal", partition: 0, records: [Self.record(nil, "odd 1")], expectedNextOffset: 0)
                .map(\.offset) == [0])
        let stale = await #expect(throws: LogError.self) {
            _ = try await engine.appendToInternalTopic(
                "_internal", partition: 0, records: [Self.record(nil, "odd 3")], expectedNextOffset: 0)
        }
        #expect(stale?.code == .unexpectedOffset)
        #expect(try await engine.partitions(of: "_internal").map(\.nextOffset) == [1])
        await engine.shutdown()
    }

    @Test func logAppendTimeStampsRecordsWithTheBrokersClock() async throws {
        var configuration = LogEngine.Configuration()
        configuration.now = { 1_234_567 }
        let engine = try LogEngine(path: "/d", fileSystem: FaultInjectingFileSystem(), configuration: configuration)
        try await engine.createTopic("t", partitions: 1, configuration: try TopicConfiguration(["message.timestamp.type": "LogAppendTime"]))
        _ = try await engine.append(topic: "t", records: [Self.record(nil, "a", at: 5), Self.record(nil, "b", at: 6)])
        let batches = try await engine.read(topic: "t", partition: 0, from: 0)
        #expect(batches.flatMap(\.records).map(\.timestamp) == [1_234_567, 1_234_567])
        await engine.shutdown()
    }

    @Test func theIntervalPolicyIsFlushedByTheEnginesTimer() async throws {
        let fs = FaultInjectingFileSystem()
        let engine = try LogEngine(path: "/d", fileSystem: fs)
        try await engine.createTopic(
            "t", partitions: 1, configuration: try TopicConfiguration(["canon.flush.policy": "interval", "flush.ms": "30"]))
        _ = try await engine.append(topic: "t", records: [Self.record(nil, "a")])
        // Visible at once (the interval policy acknowledges before the flush) ...
        #expect(try await engine.read(topic: "t", partition: 0, from: 0).count == 1)
        // ... and made durable by the timer within a few intervals, with no further append.
        var waited = 0
        while fs.unsyncedByteCount("/d/t-0/00000000000000000000.log") > 0 && waited < 5000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 10
        }
        #expect(fs.unsyncedByteCount("/d/t-0/00000000000000000000.log") == 0)
        await engine.shutdown()
    }

    /// A sync that made the records durable and visible, followed by a recovery checkpoint that could not
    /// be written: the append is answered (its records are there; failing it would make a retry write
    /// them twice), and the partition turns read-only.
    @Test func anAppendMadeDurableIsAnsweredEvenWhenTheCheckpointAfterItFails() async throws {
        let fs = FaultInjectingFileSystem()
        var configuration = LogEngine.Configuration()
        configuration.partition.checkpointIntervalBytes = 1  // a checkpoint after every sync
        let engine = try LogEngine(path: "/d", fileSystem: fs, configuration: configuration)
        try await engine.createTopic("t", partitions: 1)
        _ = try await engine.append(topic: "t", records: [Self.record(nil, "a")])
        fs.inject(.init(.rename, path: "recovery-checkpoint", error: .io))
        #expect(try await engine.append(topic: "t", records: [Self.record(nil, "b")]).map(\.offset) == [1])
        #expect(try await engine.read(topic: "t", partition: 0, from: 0).flatMap(\.records).count == 2)
        await #expect(throws: LogError.self) { _ = try await engine.append(topic: "t", records: [Self.record(nil, "c")]) }
        await engine.shutdown()
    }

    /// One commit path: an interval flush and an internal topic's append take the same background syncs
    /// as producers, so a slow `fdatasync` of theirs holds up no producer of another partition.
    @Test func slowSyncsOfIntervalFlushesAndInternalAppendsDoNotHoldUpOtherProducers() async throws {
        let fs = FaultInjectingFileSystem()
        let engine = try LogEngine(path: "/d", fileSystem: fs)
        try await engine.createTopic(
            "slow", partitions: 1, configuration: try TopicConfiguration(["canon.flush.policy": "interval", "flush.ms": "1"]))
        _ = try await engine.createTopic("_owned", partitions: 1, configuration: TopicConfiguration(), isInternal: true)
        try await engine.createTopic("fast", partitions: 1)

        fs.holdSyncs(path: "/slow-0/")
        _ = try await engine.append(topic: "slow", records: [Self.record(nil, "a")])  // acknowledged before its flush
        try await Self.waitUntil { fs.heldSyncs == 1 }  // the timer's flush is stuck in fdatasync
        let b = try await Self.withinAMinute(fs) { try await engine.append(topic: "fast", records: [Self.record(nil, "b")]) }
        #expect(b?.map(\.offset) == [0])
        fs.releaseSyncs()

        fs.holdSyncs(path: "/_owned-0/")
        let owned = Task {
            try await engine.appendToInternalTopic("_owned", partition: 0, records: [Self.record(nil, "c")], expectedNextOffset: 0)
        }
        try await Self.waitUntil { fs.heldSyncs == 1 }
        let d = try await Self.withinAMinute(fs) { try await engine.append(topic: "fast", records: [Self.record(nil, "d")]) }
        #expect(d?.map(\.offset) == [1])
        // The owner's append is not answered before its own sync is done.
        #expect(try await engine.partitions(of: "_owned")[0].visibleEndOffset == 0)
        fs.releaseSyncs()
        #expect(try await owned.value.map(\.offset) == [0])
        await engine.shutdown()
    }

    /// `operation`'s result, or nil when it did not finish within a minute (a hang guard, not a timing
    /// assertion); then the held syncs are released so that it can finish.
    static func withinAMinute<T: Sendable>(_ fs: FaultInjectingFileSystem, _ operation: @escaping @Sendable () async throws -> T)
        async throws -> T?
    {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try? await Task.sleep(for: .seconds(60))
                if Task.isCancelled { return nil }
                fs.releaseSyncs()
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }

    /// Polls `condition` (a hang guard, not a timing assertion: it waits up to a minute).
    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<6000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }

    @Test func theRetentionServiceDeletesOldSegmentsInTheBackground() async throws {
        let fs = FaultInjectingFileSystem()
        var configuration = LogEngine.Configuration()
        configuration.retentionCheckIntervalMs = 20
        let engine = try LogEngine(path: "/d", fileSystem: fs, configuration: configuration)
        try await engine.createTopic(
            "t", partitions: 1, configuration: try TopicConfiguration(["segment.bytes": "200", "retention.ms": "60000"]))
        // Records from long ago: every sealed segment is past retention.
        for i in 0..<20 {
            _ = try await engine.append(topic: "t", records: [Self.record(nil, String(repeating: "x", count: 60), at: Int64(i))])
        }
        var waited = 0
        var start: Int64 = 0
        while start == 0 && waited < 5000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 10
            start = try await engine.partitions(of: "t")[0].startOffset
        }
        #expect(start > 0)
        let left = try await engine.read(topic: "t", partition: 0, from: 0, maxBytes: 1 << 20).flatMap(\.records).count
        #expect(left > 0 && left < 20)
        await engine.shutdown()
    }

    /// Every flush policy through power cuts: group commit loses nothing acknowledged; `interval` loses
    /// nothing flushed by its timer; `never` loses nothing on a process crash (no power cut).
    @Test func flushPoliciesKeepWhatTheyPromiseThroughCrashes() throws {
        var rng = SplitMix64(state: 31)
        for round in 0..<120 {
            let policy = TopicConfiguration.FlushPolicy.allCases[round % 3]
            let fs = FaultInjectingFileSystem()
            var dir: LogDirectory? = try LogDirectory(path: "/d", fileSystem: fs, partitionConfiguration: IndexAndRecoveryTests.small)
            try dir!.createTopic(
                "t", partitions: 2, configuration: try TopicConfiguration(["canon.flush.policy": policy.rawValue, "flush.ms": "1"]))
            var promised: [Int: Int] = [0: 0, 1: 0]  // records per partition that must survive
            var appended: [Int: Int] = [0: 0, 1: 0]
            for step in 0..<(1 + rng.below(30)) {
                let records = (0..<(1 + rng.below(4))).map { Self.record("k\(rng.below(100))", "v\(step)-\($0)") }
                let placed = try dir!.append(topic: "t", records: records)
                for p in placed { appended[p.partition]! += 1 }
                switch policy {
                case .groupCommit: promised = appended
                case .interval:
                    if rng.below(3) == 0, dir!.commit(dir!.intervalFlushesDue(now: Int64(step + 1) * 10)).isEmpty { promised = appended }
                case .never: break
                }
            }
            let processCrashOnly = policy == .never
            if processCrashOnly {
                promised = appended
            } else {
                fs.cutPower(rng.below(2) == 0 ? .dropUnsynced : .tearUnsynced(keep: rng.below(300)))
            }
            dir = nil
            dir = try LogDirectory(path: "/d", fileSystem: fs, partitionConfiguration: IndexAndRecoveryTests.small)
            for p in 0..<2 {
                let count = try dir!.read(topic: "t", partition: p, from: 0, maxBytes: 1 << 30).flatMap(\.records).count
                #expect(count >= promised[p]! && count <= appended[p]!, "round \(round) \(policy) partition \(p)")
            }
            dir = nil
            let verified = try LogDirectory.verify(path: "/d", fileSystem: fs)
            #expect(verified.problems.isEmpty, "round \(round): \(verified.problems)")
        }
    }
}

/// Acknowledgements collected from many producers.
// @unchecked Sendable: `records` is only touched with `lock` held.
final class Acknowledged: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [Int: [Int64: [UInt8]]] = [:]
    func add(_ placed: [(partition: Int, offset: Int64)], _ values: [[UInt8]]) {
        lock.withLock { for (p, v) in zip(placed, values) { records[p.partition, default: [:]][p.offset] = v } }
    }
    var all: [Int: [Int64: [UInt8]]] { lock.withLock { records } }
}

@Suite struct LogEnginePowerCutTests {
    /// The power is cut while 8 producers append through the pipelined group commit: every append that
    /// was acknowledged is back after recovery, intact, at its offset; offsets stay dense.
    @Test func acknowledgedAppendsSurviveAPowerCutWhileProducersRun() async throws {
        var rng = SplitMix64(state: 41)
        var acknowledgedInAll = 0
        for round in 0..<100 {
            let fs = FaultInjectingFileSystem()
            let engine = try LogEngine(path: "/d", fileSystem: fs)
            try await engine.createTopic("t", partitions: 3)
            let acknowledged = Acknowledged()
            let cutAfter = UInt64(rng.below(40_000)) * 1000
            let tear = rng.below(2) == 0 ? FaultInjectingFileSystem.PowerCut.dropUnsynced : .tearUnsynced(keep: rng.below(500))
            await withTaskGroup(of: Void.self) { group in
                for producer in 0..<8 {
                    group.addTask {
                        for i in 0..<200 {
                            let values = (0..<3).map { Array("p\(producer)-\(i)-\($0)".utf8) }
                            let records = values.enumerated().map {
                                LogRecord(key: Array("k\(producer)-\(i)-\($0.offset)".utf8), value: $0.element, timestamp: Int64(i))
                            }
                            guard let placed = try? await engine.append(topic: "t", records: records) else { return }
                            acknowledged.add(placed, values)
                        }
                    }
                }
                group.addTask {
                    try? await Task.sleep(nanoseconds: cutAfter)
                    fs.cutPower(tear)
                    // The process is gone: nothing it would still do reaches the disk.
                    for operation in FaultInjectingFileSystem.Operation.allCases { fs.inject(.init(operation, count: .max)) }
                }
            }
            acknowledgedInAll += acknowledged.all.values.map(\.count).reduce(0, +)
            await engine.shutdown()
            fs.clearFaults()
            let reopened = try LogDirectory(path: "/d", fileSystem: fs)
            for (partition, expected) in acknowledged.all {
                let stored = try reopened.read(topic: "t", partition: partition, from: 0, maxBytes: 1 << 30)
                var byOffset: [Int64: [UInt8]] = [:]
                for batch in stored { for (k, r) in batch.records.enumerated() { byOffset[batch.baseOffset + Int64(k)] = r.value } }
                #expect(
                    byOffset.keys.sorted() == Array(0..<Int64(byOffset.count)), "round \(round) partition \(partition): offsets not dense")
                for (offset, value) in expected {
                    #expect(
                        byOffset[offset] == value, "round \(round): acknowledged offset \(offset) of partition \(partition) lost or changed"
                    )
                }
            }
        }
        #expect(acknowledgedInAll > 1000)  // the cuts came while producers were busy
    }
}
