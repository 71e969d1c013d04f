import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Foundation
import Testing

/// Odd on-disk states and failures in the middle of an operation.
@Suite struct LogEdgeCaseTests {
    static func record(_ value: [UInt8], at timestamp: Int64 = 0) -> LogRecord {
        LogRecord(key: nil, value: value, timestamp: timestamp)
    }

    @Test func aBatchEndingInManyZeroBytesIsNotATornTail() throws {
        let fs = FaultInjectingFileSystem()
        var log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        try log.append([Self.record([1])])
        try log.flush()
        try log.append([Self.record([UInt8](repeating: 0, count: 100_000))])
        try log.flush()
        log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)  // no close: the tail is scanned
        #expect(log.nextOffset == 2, "\(log.recoveryNotes)")
        #expect(try log.read(from: 1).first?.records.first?.value?.count == 100_000)
    }

    @Test(arguments: [
        ("partitions=2\nretention.ms\n", "every line must be name=value"),
        ("partitions=2\npartitions=3\n", "each name once"),
        ("partitions=99999999\n", "no valid partition count"),
        ("retention.ms=1\n", "no valid partition count"),
        ("partitions=1\nretention.ms=soon\n", "retention.ms"),
    ])
    func aDamagedTopicFileIsRefusedNamingTheFile(text: String, reason: String) throws {
        let fs = FaultInjectingFileSystem()
        try LogDirectory(path: "/d", fileSystem: fs).close()
        let h = try fs.open("/d/t.topic", create: true)
        try fs.write(h, Array(text.utf8), at: 0)
        fs.close(h)
        let refused = #expect(throws: LogError.self) { _ = try LogDirectory(path: "/d", fileSystem: fs) }
        #expect(refused?.location.file == "/d/t.topic")
        #expect(refused?.message.contains(reason) == true, "\(refused?.message ?? "")")
        // verify reports it (and does not walk 99999999 partition directories).
        let verified = try LogDirectory.verify(path: "/d", fileSystem: fs)
        #expect(verified.problems.first?.contains("/d/t.topic") == true && verified.problems.count <= 2, "\(verified.problems)")
    }

    @Test func settingsWithALineBreakOfAnyKindAreRefused() throws {
        let dir = try LogDirectory(path: "/d", fileSystem: FaultInjectingFileSystem())
        try dir.createTopic("t", partitions: 1)
        for value in ["a\r\nretention.ms=1", "a\rb", "a\nb"] {
            #expect(throws: LogError.self) { try dir.setConfiguration(topic: "t", "retention.ms", value) }
            #expect(throws: LogError.self) {
                try dir.createTopic("u", partitions: 1, configuration: try TopicConfiguration(["cleanup.policy": value]))
            }
        }
        #expect(dir.topics["t"]?.configuration.settings["retention.ms"] == "604800000")  // unchanged
    }

    @Test func aFailedRollLeavesNoHalfMadeSegmentAndLosesNothingAcknowledged() throws {
        let fs = FaultInjectingFileSystem()
        // A checkpoint at every sync: the checkpoint written after the failed roll is the one recovery uses.
        var config = PartitionLog.Configuration(
            segmentBytes: 600, indexIntervalBytes: 100, preallocationBytes: 256, checkpointIntervalBytes: 1)
        config.segmentMs = .max
        var log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: config)
        var acknowledged = 0
        var batchSize = 0
        // Fill the segment so that exactly two more small batches fit.
        repeat {
            try log.append([Self.record([UInt8](repeating: 7, count: 40))])
            try log.flush()
            acknowledged += 1
            batchSize = log.size / acknowledged
        } while log.size + 3 * batchSize <= 600
        // A sync is in flight while one more batch is written and the next append must roll, which fails.
        try log.append([Self.record([UInt8](repeating: 8, count: 40))])
        let ticket = try #require(log.beginSync())
        try log.append([Self.record([UInt8](repeating: 8, count: 40))])
        fs.inject(.init(.syncDirectory, error: .io))
        #expect(throws: LogError.self) { try log.append([Self.record([UInt8](repeating: 9, count: 200))]) }
        #expect(log.segmentFiles.count == 1)
        #expect(!fs.fileExists("/d/t-0/\(PartitionLog.segmentFileName(baseOffset: Int64(acknowledged + 2)))"))
        try fs.sync(ticket.handle)
        try log.completeSync(ticket, error: nil)  // writes the checkpoint recovery will use
        acknowledged += 1
        fs.cutPower()
        log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: config)
        #expect(log.state == .writable, "\(log.recoveryNotes)")
        // Everything acknowledged is there and offsets are dense (the batch written during the sync may
        // have survived too: the failed roll synced it).
        let stored = try log.read(from: 0, maxBytes: 1 << 20).flatMap(\.records).count
        #expect(stored >= acknowledged)
        #expect(log.nextOffset == Int64(stored), "\(log.recoveryNotes)")
        #expect(try PartitionLog.verifyFiles(directory: "/d/t-0", fileSystem: fs).problems.isEmpty)
    }

    @Test func aDamagedBaseOffsetIsReportedNotTakenForTheEndOfTheLog() throws {
        let fs = FaultInjectingFileSystem()
        var log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        var positions: [Int] = []
        for i in 0..<3 {
            positions.append(log.size)
            try log.append([Self.record([UInt8(i)])])
        }
        try log.flush()
        log.close()
        // The base offset is not covered by the CRC: flip a bit in the second batch's.
        let h = try fs.open("/d/t-0/00000000000000000000.log", create: false)
        let byte = try fs.read(h, at: positions[1] + 7, count: 1)
        try fs.write(h, [byte[0] ^ 0x10], at: positions[1] + 7)
        try fs.sync(h)
        fs.close(h)
        log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, cleanShutdown: true)
        // Found at open: the batches after the last index entry are checked against the checkpoint.
        let error = #expect(throws: LogError.self) { _ = try log.read(from: 1) }
        #expect(error?.code == .damaged)
        #expect(error?.message.contains("00000000000000000000.log at byte \(positions[1])") == true)
        #expect(error?.message.contains("expected 1") == true)
        #expect(try log.read(from: 0).flatMap(\.records).count == 1)
        guard case .readOnly = log.state else { Issue.record("not read-only"); return }
    }

    @Test func aFailedTakeBackMakesThePartitionReadOnly() throws {
        let fs = FaultInjectingFileSystem()
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        try dir.createTopic("t", partitions: 2, configuration: try TopicConfiguration(["max.message.bytes": "300"]))
        let keys = (0..<50).map { "k\($0)" }
        let k0 = keys.first { KafkaPartitioner.partition(key: Array($0.utf8), partitions: 2) == 0 }!
        let k1 = keys.first { KafkaPartitioner.partition(key: Array($0.utf8), partitions: 2) == 1 }!
        fs.inject(.init(.truncate, path: "t-0", error: .io))
        #expect(throws: LogError.self) {
            try dir.append(
                topic: "t",
                records: [
                    LogRecord(key: Array(k0.utf8), value: [1], timestamp: 0),
                    LogRecord(key: Array(k1.utf8), value: Array(repeating: 9, count: 400), timestamp: 0),
                ])
        }
        // Partition 0 could not take its batch back: it takes nothing more until recovered.
        guard case .readOnly(let reason) = try dir.partitions(of: "t")[0].state else { Issue.record("partition 0 still writable"); return }
        #expect(reason.contains("could not take back"))
        #expect(try dir.read(topic: "t", partition: 0, from: 0).isEmpty)
        #expect(try dir.partitions(of: "t")[1].state == .writable)
    }

    @Test func aSyncTicketOfAnotherLogIsRefused() throws {
        let fs = FaultInjectingFileSystem()
        let a = try PartitionLog(directory: "/d/a-0", fileSystem: fs)
        let b = try PartitionLog(directory: "/d/b-0", fileSystem: fs)
        try a.append([Self.record([1])])
        try b.append([Self.record([2])])
        let ticket = try #require(a.beginSync())
        #expect(throws: LogError.self) { try b.completeSync(ticket, error: nil) }
        #expect(b.durableNextOffset == 0 && b.state == .writable)
    }

    @Test func settingsThatWouldOverflowAreRefusedOrSaturated() async throws {
        #expect(throws: LogError.self) { try TopicConfiguration(["segment.bytes": "4294967296"]) }
        #expect(throws: LogError.self) { try TopicConfiguration(["max.message.bytes": "9223372036854775807"]) }
        // Kafka's own default flush.ms with the interval policy: the timer saturates instead of trapping.
        let engine = try LogEngine(path: "/d", fileSystem: FaultInjectingFileSystem())
        try await engine.createTopic(
            "t", partitions: 1,
            configuration: try TopicConfiguration(["canon.flush.policy": "interval", "flush.ms": "9223372036854775807"]))
        #expect(try await engine.append(topic: "t", records: [Self.record([1])]).count == 1)
        await engine.shutdown()
    }

    @Test func anIdleEngineSleepsAfterGroupCommit() async throws {
        let engine = try LogEngine(path: "/d", fileSystem: FaultInjectingFileSystem())
        try await engine.createTopic("t", partitions: 1)
        // Bursts of concurrent appends: syncs answer several at once, which sets the short hold.
        for _ in 0..<5 {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<32 { group.addTask { _ = try? await engine.append(topic: "t", records: [Self.record([UInt8(i)])]) } }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let before = LogEngineTestAccess.ioLoopIterations(engine)
        try await Task.sleep(for: .milliseconds(300))
        // Asleep until the next job or timer (retention every 5 minutes): a handful of wake-ups at most.
        #expect(LogEngineTestAccess.ioLoopIterations(engine) - before < 10)
        await engine.shutdown()
    }

    @Test func deletingATopicFailsAppendsStillWaitingForTheirSync() async throws {
        let fs = FaultInjectingFileSystem()
        let engine = try LogEngine(path: "/d", fileSystem: fs)
        try await engine.createTopic("t", partitions: 1)
        // Many appends race a delete-and-recreate: each either succeeded before the delete or failed;
        // none hangs, and the recreated topic starts empty and works.
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<50 { group.addTask { _ = try? await engine.append(topic: "t", records: [Self.record([UInt8(i)])]) } }
            group.addTask {
                try? await engine.deleteTopic("t")
                _ = try? await engine.createTopic("t", partitions: 1)
            }
        }
        let placed = try await engine.append(topic: "t", records: [Self.record([99])])
        let stored = try await engine.read(topic: "t", partition: 0, from: 0).flatMap(\.records)
        #expect(stored.last?.value == [99] && placed[0].offset == Int64(stored.count - 1))
        await engine.shutdown()
    }
}
