import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Testing

@Suite struct PartitionLogTests {
    static func records(_ n: Int, _ rng: inout SplitMix64) -> [LogRecord] {
        (0..<n).map { i in
            LogRecord(key: [UInt8(i & 0xFF)], value: (0..<rng.below(120)).map { _ in rng.byte() }, timestamp: 1_700_000_000_000 + Int64(i))
        }
    }

    @Test func appendsAreVisibleOnlyAfterFlushAndReadBack() throws {
        var rng = SplitMix64(state: 1)
        let fs = FaultInjectingFileSystem()
        let log = try PartitionLog(directory: "/data/orders-0", fileSystem: fs)
        let first = Self.records(3, &rng)
        #expect(try log.append(first) == 0...2)
        #expect(try log.read(from: 0).isEmpty)
        try log.flush()
        #expect(try log.read(from: 0).flatMap(\.records) == first)
        #expect(try log.append(Self.records(2, &rng)) == 3...4)
        try log.flush()
        #expect(try log.read(from: 4).first?.baseOffset == 3)
    }

    @Test func segmentsRollBySizeAndAreNamedByBaseOffset() throws {
        var rng = SplitMix64(state: 2)
        let fs = FaultInjectingFileSystem()
        let log = try PartitionLog(directory: "/data/t-0", fileSystem: fs, configuration: .init(segmentBytes: 1000))
        for _ in 0..<20 { try log.append(Self.records(3, &rng)) }
        try log.flush()
        #expect(log.segmentFiles.count > 2)
        #expect(log.segmentFiles.first == "/data/t-0/00000000000000000000.log")
        #expect(PartitionLog.segmentFileName(baseOffset: 1234) == "00000000000000001234.log")
        #expect(try log.read(from: 0, maxBytes: 1 << 30).flatMap(\.records).count == 60)
        // Reopen: the same records, appends continue at the next offset.
        let reopened = try PartitionLog(directory: "/data/t-0", fileSystem: fs, configuration: .init(segmentBytes: 1000))
        #expect(reopened.nextOffset == 60)
        #expect(try reopened.read(from: 30, maxBytes: 1 << 30).first?.records.count == 3)
    }

    /// Power cuts at random points: every flushed (acknowledged) record is back, intact, offsets dense,
    /// nothing unflushed is visible as committed beyond what the scan found valid, and appends continue.
    @Test func everyAcknowledgedRecordSurvivesPowerCuts() throws {
        var rng = SplitMix64(state: 3)
        for round in 0..<200 {
            let fs = FaultInjectingFileSystem()
            var acknowledged: [LogRecord] = []
            var pending: [LogRecord] = []
            var log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(segmentBytes: 600 + rng.below(2000)))
            for _ in 0..<(1 + rng.below(15)) {
                let batch = Self.records(1 + rng.below(4), &rng)
                try log.append(batch)
                pending += batch
                if rng.below(2) == 0 {
                    try log.flush()
                    acknowledged += pending
                    pending = []
                }
            }
            fs.cutPower(rng.below(2) == 0 ? .dropUnsynced : .tearUnsynced(keep: rng.below(300)))
            log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: log.configuration)
            #expect(log.state == .writable, "round \(round): \(log.recoveryNotes)")
            let recovered = try log.read(from: 0, maxBytes: 1 << 30).flatMap(\.records)
            guard recovered.count >= acknowledged.count else {
                Issue.record("round \(round): \(acknowledged.count - recovered.count) acknowledged record(s) lost")
                continue
            }
            #expect(Array(recovered.prefix(acknowledged.count)) == acknowledged, "round \(round)")
            // What survived beyond the acknowledged records is a prefix of what was appended.
            #expect(
                Array(recovered.dropFirst(acknowledged.count)) == Array(pending.prefix(recovered.count - acknowledged.count)),
                "round \(round)")
            let next = log.nextOffset
            #expect(try log.append(Self.records(1, &rng)) == next...next)
        }
    }

    @Test func aFailedWriteFailsThatAppendOnly() throws {
        var rng = SplitMix64(state: 4)
        let fs = FaultInjectingFileSystem()
        let log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        try log.append(Self.records(2, &rng))
        fs.inject(.init(.write, path: ".log", error: .noSpace))
        let error = #expect(throws: LogError.self) { try log.append(Self.records(2, &rng)) }
        #expect(error?.code == .noSpace)
        #expect(try log.append(Self.records(1, &rng)) == 2...2)
        try log.flush()
        #expect(try log.read(from: 0).flatMap(\.records).count == 3)
    }

    @Test func aFailedFlushMakesThePartitionReadOnlyUntilReopened() throws {
        var rng = SplitMix64(state: 5)
        let fs = FaultInjectingFileSystem()
        var log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        try log.append(Self.records(2, &rng))
        try log.flush()
        try log.append(Self.records(2, &rng))
        fs.inject(.init(.sync, error: .io))
        #expect(throws: LogError.self) { try log.flush() }
        guard case .readOnly = log.state else { Issue.record("not read-only"); return }
        #expect(throws: LogError.self) { try log.append(Self.records(1, &rng)) }
        #expect(try log.read(from: 0).flatMap(\.records).count == 2)  // the unflushed batch is not visible
        log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        #expect(log.state == .writable)
    }

    /// A partition of three flushed batches, then a byte flipped inside the first (synced).
    static func threeBatchesWithAFlippedByteInTheFirst(seed: UInt64) throws -> FaultInjectingFileSystem {
        var rng = SplitMix64(state: seed)
        let fs = FaultInjectingFileSystem()
        // An index entry for every batch: a clean open checks only the batches after the last one.
        let log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(indexIntervalBytes: 1))
        for _ in 0..<3 { try log.append(Self.records(2, &rng)) }
        try log.flush()
        let h = try fs.open("/d/t-0/00000000000000000000.log", create: false)
        defer { fs.close(h) }
        let byte = try fs.read(h, at: 40, count: 1)
        try fs.write(h, [byte[0] ^ 0x01], at: 40)
        try fs.sync(h)
        return fs
    }

    @Test func damageInsideAcknowledgedDataMakesThePartitionReadOnlyAndNamesIt() throws {
        let fs = try Self.threeBatchesWithAFlippedByteInTheFirst(seed: 6)
        // Without a recovery checkpoint covering it, opening scans the batch and stops there.
        try fs.remove("/d/t-0/recovery-checkpoint")
        let log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        guard case .readOnly(let reason) = log.state else { Issue.record("not read-only"); return }
        #expect(reason.contains("00000000000000000000.log at byte 0"))
        // The damaged batch is never served: reading it fails naming the damage.
        let error = #expect(throws: LogError.self) { try log.read(from: 0) }
        #expect(error?.code == .damaged && error?.message.contains("00000000000000000000.log at byte 0") == true)
    }

    /// Below the recovery checkpoint nothing is rescanned at open but the last index interval; damage
    /// further back is found when read (and by verify), never served, and the partition turns read-only.
    @Test func damageBelowTheCheckpointIsFoundWhenReadAndNeverServed() throws {
        var rng = SplitMix64(state: 16)
        let fs = try Self.threeBatchesWithAFlippedByteInTheFirst(seed: 16)
        let log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(indexIntervalBytes: 1))
        #expect(log.state == .writable)
        let error = #expect(throws: LogError.self) { try log.read(from: 0) }
        #expect(error?.code == .corruptBatch)
        #expect(error?.location.file == "/d/t-0/00000000000000000000.log" && error?.location.position == 0)
        guard case .readOnly = log.state else { Issue.record("not read-only after serving damage was refused"); return }
        #expect(throws: LogError.self) { try log.append(Self.records(1, &rng)) }
        let verified = try PartitionLog.verifyFiles(directory: "/d/t-0", fileSystem: fs)
        #expect(verified.problems.first?.contains("00000000000000000000.log at byte 0: CRC-32C mismatch") == true)
    }
}

@Suite struct RepairAndRetentionTests {
    static func records(_ n: Int, at timestamp: Int64) -> [LogRecord] {
        (0..<n).map { LogRecord(key: [UInt8($0)], value: Array(repeating: 7, count: 50), timestamp: timestamp) }
    }

    @Test func repairCutsBackToTheLastGoodBatchAndTheLogTakesAppendsAgain() throws {
        let fs = FaultInjectingFileSystem()
        var log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(segmentBytes: 500))
        for _ in 0..<10 { try log.append(Self.records(2, at: 0)) }
        try log.flush()
        let segments = log.segmentFiles
        #expect(segments.count > 2)
        // Damage the second segment's first batch.
        let h = try fs.open(segments[1], create: false)
        try fs.write(h, [0xEE], at: 30)
        try fs.sync(h)
        log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(segmentBytes: 500))
        // Found at open (the sealed segment's batches are checked against the next segment's base).
        guard case .readOnly = log.state, let damage = log.damage else { Issue.record("damage not detected"); return }
        #expect(try log.read(from: 0, maxBytes: 1 << 30).flatMap(\.records).count == Int(damage.from))
        #expect(throws: LogError.self) { try log.read(from: damage.from, maxBytes: 1 << 30) }
        log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(segmentBytes: 500), repair: true)
        #expect(log.state == .writable)
        #expect(log.recoveryNotes.contains { $0.contains("repaired:") && $0.contains("cut \(segments[1]) at byte 0") })
        let kept = try log.read(from: 0, maxBytes: 1 << 30).flatMap(\.records).count
        // No offset is given out twice: the next record gets the offset after the 20 acknowledged ones.
        #expect(kept < 20 && log.nextOffset == 20)
        try log.append(Self.records(1, at: 0))
        try log.flush()
        let after = try log.read(from: 0, maxBytes: 1 << 30)
        #expect(after.flatMap(\.records).count == kept + 1 && after.last?.baseOffset == 20)
        // The dropped range is recorded: the next open accepts the gap and finds nothing wrong.
        log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(segmentBytes: 500))
        #expect(log.state == .writable && log.nextOffset == 21)
        #expect(try PartitionLog.verifyFiles(directory: "/d/t-0", fileSystem: fs).problems == [])
    }

    @Test func retentionDeletesWholeOldSegmentsButNeverTheActiveOne() throws {
        let fs = FaultInjectingFileSystem()
        let log = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(segmentBytes: 400))
        for day in 0..<6 { try log.append(Self.records(3, at: Int64(day) * 86_400_000)) }
        try log.flush()
        let before = log.segmentFiles.count
        #expect(before > 2)
        // Keep two days.
        let removed = try log.enforceRetention(now: 6 * 86_400_000, retentionMs: 2 * 86_400_000, retentionBytes: -1)
        #expect(!removed.isEmpty)
        #expect(log.segmentFiles.count == before - removed.count)
        #expect(log.startOffset > 0)
        // By size: only the active segment may remain, never fewer.
        try log.enforceRetention(now: 0, retentionMs: -1, retentionBytes: 0)
        #expect(log.segmentFiles.count == 1)
        let reopened = try PartitionLog(directory: "/d/t-0", fileSystem: fs, configuration: .init(segmentBytes: 400))
        #expect(reopened.nextOffset == 18)
    }
}
