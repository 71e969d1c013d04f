import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Foundation
import Testing

/// Damage inside acknowledged data is never taken for a torn tail: the acknowledged mark (and the
/// recovery checkpoint) give a floor below which missing or damaged records make the partition refuse
/// to serve them, `verify` reports them, and `repair` lists exactly what it would drop, never reusing
/// an offset.
@Suite struct AcknowledgedFloorTests {
    static let segment = "/d/t-0/00000000000000000000.log"

    /// A data directory with topic `t` (one partition) holding 500 acknowledged records in 50 appends,
    /// closed cleanly or dropped without closing (a `kill -9`: the files are as written).
    static func fiveHundredAcknowledged(clean: Bool) throws -> (FaultInjectingFileSystem, positions: [Int]) {
        let fs = FaultInjectingFileSystem()
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        try dir.createTopic("t", partitions: 1)
        var positions: [Int] = []
        for a in 0..<50 {
            positions.append(try dir.partitionLog("t", 0).size)
            let placed = try dir.append(
                topic: "t", records: (0..<10).map { LogRecord(key: nil, value: Array("record \(a * 10 + $0)".utf8), timestamp: 1_000) })
            #expect(placed.last?.offset == Int64(a * 10 + 9))
        }
        if clean { try dir.close() }
        return (fs, positions)
    }

    static func truncate(_ fs: FaultInjectingFileSystem, _ path: String, to size: Int) throws {
        let h = try fs.open(path, create: false)
        defer { fs.close(h) }
        try fs.truncate(h, to: size)
        try fs.sync(h)
    }

    /// What the reopened partition serves, and that it refuses appends and the damaged offsets.
    static func expectRefusesAcknowledgedLoss(_ fs: FaultInjectingFileSystem, keptBelow kept: Int64) throws {
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        let log = try dir.partitionLog("t", 0)
        guard case .readOnly = log.state else {
            Issue.record("lost acknowledged records were not noticed (next offset \(log.nextOffset))")
            return
        }
        #expect(log.damage?.from == kept)
        #expect(log.damage?.acknowledgedNextOffset == 500)
        // What is intact is served; the missing offsets are refused, naming the damage; nothing is reused.
        #expect(try dir.read(topic: "t", partition: 0, from: 0, maxBytes: 1 << 30).flatMap(\.records).count == Int(kept))
        let error = #expect(throws: LogError.self) { try dir.read(topic: "t", partition: 0, from: kept) }
        #expect(error?.code == .damaged)
        #expect(throws: LogError.self) { try dir.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 1)]) }
        try dir.close()
    }

    @Test(arguments: [true, false])
    func truncationInsideAcknowledgedRecordsIsDamageNotATornTail(clean: Bool) throws {
        let (fs, positions) = try Self.fiveHundredAcknowledged(clean: clean)
        // Cut in the middle of the 16th batch: 350 acknowledged records (150 to 499) vanish.
        try Self.truncate(fs, Self.segment, to: positions[15] + 20)
        try Self.expectRefusesAcknowledgedLoss(fs, keptBelow: 150)
        let verified = try LogDirectory.verify(path: "/d", fileSystem: fs)
        #expect(verified.problems.contains { $0.contains("acknowledged records 150 to 499") }, "\(verified.problems)")

        // The dry run lists exactly the loss and changes nothing.
        let before = fs.contents(Self.segment)
        let plans = try LogDirectory.repairPlans(path: "/d", fileSystem: fs)
        #expect(plans.count == 1 && plans[0].partition == "t-0" && plans[0].losesAcknowledgedRecords)
        let text = plans[0].lines.joined(separator: "\n")
        #expect(text.contains("cut \(Self.segment) at byte \(positions[15])"), "\(text)")
        #expect(text.contains("records 150 to 499 are lost"), "\(text)")
        #expect(text.contains("the next record gets offset 500 (no offset is reused)"), "\(text)")
        #expect(fs.contents(Self.segment) == before)

        // Applied: the kept records stay, the next record gets offset 500, and all is clean after.
        var dir = try LogDirectory(path: "/d", fileSystem: fs, repair: true)
        #expect(dir.recoveryNotes.contains { $0.contains("records 150 to 499 are lost") })
        let placed = try dir.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 1)])
        #expect(placed[0].offset == 500)
        try dir.close()
        dir = try LogDirectory(path: "/d", fileSystem: fs)
        #expect(try dir.partitionLog("t", 0).state == .writable)
        let offsets = try dir.read(topic: "t", partition: 0, from: 0, maxBytes: 1 << 30).flatMap { b in
            b.records.indices.map { b.baseOffset + Int64($0) }
        }
        #expect(offsets == Array(0..<150) + [500])
        try dir.close()
        #expect(try LogDirectory.verify(path: "/d", fileSystem: fs).problems == [])
        #expect(try LogDirectory.repairPlans(path: "/d", fileSystem: fs).isEmpty)
    }

    @Test func truncationAtABatchBoundaryIsFoundToo() throws {
        let (fs, positions) = try Self.fiveHundredAcknowledged(clean: false)
        try Self.truncate(fs, Self.segment, to: positions[40])
        try Self.expectRefusesAcknowledgedLoss(fs, keptBelow: 400)
    }

    @Test func aDeletedPartitionDirectoryIsNotRecreatedEmpty() throws {
        let (fs, _) = try Self.fiveHundredAcknowledged(clean: true)
        for file in try fs.contentsOfDirectory("/d/t-0") { try fs.remove("/d/t-0/\(file)") }
        try fs.removeDirectory("/d/t-0")
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        let log = try dir.partitionLog("t", 0)
        guard case .readOnly(let reason) = log.state else { Issue.record("the missing partition was recreated"); return }
        #expect(reason.contains("/d/t-0 is missing"))
        #expect(!fs.fileExists("/d/t-0"))
        let error = #expect(throws: LogError.self) { try dir.read(topic: "t", partition: 0, from: 0) }
        #expect(error?.code == .damaged)
        #expect(throws: LogError.self) { try dir.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 1)]) }
        try dir.close()
        #expect(try LogDirectory.verify(path: "/d", fileSystem: fs).problems.contains { $0.contains("partition directory missing") })
        let plans = try LogDirectory.repairPlans(path: "/d", fileSystem: fs)
        #expect(plans.first?.lines.joined().contains("offsets continue at 500") == true, "\(plans)")
        // Repaired: recreated empty, its offsets going on from the end recorded at the last clean stop.
        let repaired = try LogDirectory(path: "/d", fileSystem: fs, repair: true)
        #expect(try repaired.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 1)])[0].offset == 500)
        try repaired.close()
        let reopened = try LogDirectory(path: "/d", fileSystem: fs)
        #expect(try reopened.partitionLog("t", 0).state == .writable)
        #expect(try reopened.read(topic: "t", partition: 0, from: 0).flatMap(\.records).count == 1)
    }

    @Test func aCheckpointEditedUpwardsIsNotTrusted() throws {
        let (fs, _) = try Self.fiveHundredAcknowledged(clean: true)
        let path = "/d/t-0/recovery-checkpoint"
        let text = String(decoding: fs.contents(path)!, as: UTF8.self).replacingOccurrences(of: "next-offset=500", with: "next-offset=900")
        #expect(text.contains("next-offset=900"))
        let h = try fs.open(path, create: false)
        try fs.truncate(h, to: 0)
        try fs.write(h, Array(text.utf8), at: 0)
        try fs.sync(h)
        fs.close(h)
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        let log = try dir.partitionLog("t", 0)
        guard case .readOnly(let reason) = log.state else {
            Issue.record("an edited checkpoint was trusted: next offset \(log.nextOffset)")
            return
        }
        #expect(reason.contains("the recovery checkpoint") && reason.contains("with offset 899"), "\(reason)")
        #expect(throws: LogError.self) { try dir.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 1)]) }
        try dir.close()
        #expect(!(try LogDirectory.verify(path: "/d", fileSystem: fs).problems.isEmpty))
    }

    @Test func aCheckpointBeyondTheDataIsDamage() throws {
        let (fs, positions) = try Self.fiveHundredAcknowledged(clean: true)
        // Remove the acknowledged mark: the checkpoint alone still gives the floor.
        try fs.remove("/d/t-0/acknowledged")
        try Self.truncate(fs, Self.segment, to: positions[30])
        try Self.expectRefusesAcknowledgedLoss(fs, keptBelow: 300)
        #expect(try LogDirectory.verify(path: "/d", fileSystem: fs).problems.contains { $0.contains("the file is shorter") })
    }

    @Test func aFlippedBitFollowedByIntactBatchesListsWhatRepairDrops() throws {
        let (fs, positions) = try Self.fiveHundredAcknowledged(clean: false)
        let h = try fs.open(Self.segment, create: false)
        let byte = try fs.read(h, at: positions[20] + 70, count: 1)
        try fs.write(h, [byte[0] ^ 0x04], at: positions[20] + 70)
        try fs.sync(h)
        fs.close(h)
        try Self.expectRefusesAcknowledgedLoss(fs, keptBelow: 200)
        #expect(try LogDirectory.verify(path: "/d", fileSystem: fs).problems.first?.contains("at byte \(positions[20])") == true)
        let text = try LogDirectory.repairPlans(path: "/d", fileSystem: fs).first!.lines.joined(separator: "\n")
        #expect(text.contains("29 intact batch(es) after the damage go with it (offsets 210 to 499)"), "\(text)")
        #expect(text.contains("records 200 to 499 are lost"), "\(text)")
        let dir = try LogDirectory(path: "/d", fileSystem: fs, repair: true)
        #expect(try dir.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 1)])[0].offset == 500)
        try dir.close()
    }

    /// A power cut keeps what the mark vouches for: nothing acknowledged is ever missing after one, so
    /// the floor never raises a false alarm (and the unacknowledged tail is cut as before).
    @Test func powerCutsNeverLeaveTheMarkAboveTheData() throws {
        var rng = SplitMix64(state: 77)
        for round in 0..<30 {
            let fs = FaultInjectingFileSystem()
            let dir = try LogDirectory(path: "/d", fileSystem: fs)
            try dir.createTopic("t", partitions: 2)
            var acknowledged = [0, 0]
            let appends = Int(rng.next() % 20) + 1
            for a in 0..<appends {
                // A partition whose sync failed is read-only until reopened: its appends are refused.
                guard let staged = try? dir.stage(topic: "t", records: [LogRecord(key: [UInt8(a % 3)], value: [UInt8(a)], timestamp: 1)])
                else { continue }
                if rng.next() % 3 == 0 {
                    fs.inject(.init(.sync, path: rng.next() % 2 == 0 ? "acknowledged" : ".log", skip: Int(rng.next() % 2)))
                }
                if dir.commit(staged.partitions).isEmpty {
                    for p in staged.placements { acknowledged[p.partition] = max(acknowledged[p.partition], Int(p.offset) + 1) }
                }
                fs.clearFaults()
            }
            fs.cutPower(rng.next() % 2 == 0 ? .dropUnsynced : .tearUnsynced(keep: Int(rng.next() % 200)))
            let reopened = try LogDirectory(path: "/d", fileSystem: fs)
            for p in 0..<2 {
                let log = try reopened.partitionLog("t", p)
                #expect(log.state == .writable, "round \(round) partition \(p): \(log.state)")
                #expect(log.nextOffset >= Int64(acknowledged[p]), "round \(round): acknowledged records lost")
            }
        }
    }
}

extension AcknowledgedFloorTests {
    /// The mark is synced with every commit: after a power cut it still covers every acknowledged
    /// record (the recovery checkpoint alone is written only every `checkpointIntervalBytes`), so
    /// damage below it is still found. Fails when the mark's `fdatasync` is removed.
    @Test func theAcknowledgedMarkSurvivesAPowerCut() throws {
        let (fs, positions) = try Self.fiveHundredAcknowledged(clean: false)
        fs.cutPower()
        try Self.truncate(fs, Self.segment, to: positions[15] + 20)
        try Self.expectRefusesAcknowledgedLoss(fs, keptBelow: 150)
    }
}

/// The high-water marks beside the topics only go up, and a torn write of one leaves its last value.
@Suite struct HighWaterMarkTests {
    @Test func aMarkOnlyGoesUpAndSurvivesATornRaise() throws {
        let fs = FaultInjectingFileSystem()
        var dir = try LogDirectory(path: "/d", fileSystem: fs)
        #expect(try dir.highWaterMark("ids") == 0)
        try dir.raiseHighWaterMark("ids", to: 5)
        try dir.raiseHighWaterMark("ids", to: 3)
        #expect(try dir.highWaterMark("ids") == 5)
        try dir.raiseHighWaterMark("ids", to: 7)
        // The next raise is written but its sync fails, and the power is cut with part of it on disk.
        fs.inject(.init(.sync, path: "ids.mark"))
        #expect(throws: LogError.self) { try dir.raiseHighWaterMark("ids", to: 9) }
        fs.clearFaults()
        fs.cutPower(.tearUnsynced(keep: 7))
        dir = try LogDirectory(path: "/d", fileSystem: fs)
        #expect(try dir.highWaterMark("ids") == 7)
        try dir.raiseHighWaterMark("ids", to: 8)
        fs.cutPower()
        dir = try LogDirectory(path: "/d", fileSystem: fs)
        #expect(try dir.highWaterMark("ids") == 8)
        #expect(throws: LogError.self) { try dir.highWaterMark("../x") }
    }
}

/// Cases found in review: no false damage when only the mark's sync fails, a repaired partition that
/// stays sound through later restarts, a sealed segment cut short, and out-of-order writeback.
extension AcknowledgedFloorTests {
    @Test func aFailedMarkSyncIsNotTakenForDamageAtTheNextOpen() throws {
        let fs = FaultInjectingFileSystem()
        var dir = try LogDirectory(path: "/d", fileSystem: fs)
        try dir.createTopic("t", partitions: 1)
        _ = try dir.append(topic: "t", records: [LogRecord(key: nil, value: [1], timestamp: 1)])
        // The segment's sync succeeds, the mark is written, its sync fails: the append fails.
        fs.inject(.init(.sync, path: "acknowledged"))
        #expect(throws: LogError.self) { try dir.append(topic: "t", records: [LogRecord(key: nil, value: [2], timestamp: 1)]) }
        fs.clearFaults()
        try? dir.close()
        // Reopened without a power cut: the mark (in the page cache) names the second record, which
        // stays on disk (its append failed, as a failed produce may still be stored); nothing is damaged.
        dir = try LogDirectory(path: "/d", fileSystem: fs)
        #expect(try dir.partitionLog("t", 0).state == .writable)
        #expect(try dir.append(topic: "t", records: [LogRecord(key: nil, value: [3], timestamp: 1)])[0].offset == 2)
        try dir.close()
    }

    @Test func aPartitionRepairedForMissingRecordsStaysSoundThroughRestarts() throws {
        let (fs, positions) = try Self.fiveHundredAcknowledged(clean: false)
        try Self.truncate(fs, Self.segment, to: positions[40])  // at a batch boundary: 400 to 499 missing
        try LogDirectory(path: "/d", fileSystem: fs, repair: true).close()
        for round in 0..<3 {
            let dir = try LogDirectory(path: "/d", fileSystem: fs)
            #expect(try dir.partitionLog("t", 0).state == .writable, "round \(round)")
            let placed = try dir.append(topic: "t", records: [LogRecord(key: nil, value: [UInt8(round)], timestamp: 1)])
            #expect(placed[0].offset == 500 + Int64(round))
            let offsets = try dir.read(topic: "t", partition: 0, from: 0, maxBytes: 1 << 30).flatMap { b in
                b.records.indices.map { b.baseOffset + Int64($0) }
            }
            #expect(offsets == Array(0..<400) + (0...round).map { 500 + Int64($0) })
            if round == 1 { try dir.close() }  // clean and unclean stops alike
        }
        #expect(try LogDirectory.verify(path: "/d", fileSystem: fs).problems == [])
    }

    @Test(arguments: [true, false])
    func aSealedSegmentCutShortIsFoundAtOpen(clean: Bool) throws {
        let fs = FaultInjectingFileSystem()
        var starts: [Int] = []
        let first: String
        do {
            let dir = try LogDirectory(path: "/d", fileSystem: fs)
            try dir.createTopic("t", partitions: 1, configuration: try TopicConfiguration(["segment.bytes": "2000"]))
            for a in 0..<40 {
                starts.append(try dir.partitionLog("t", 0).segmentFiles.count == 1 ? try dir.partitionLog("t", 0).size : -1)
                _ = try dir.append(topic: "t", records: (0..<5).map { LogRecord(key: nil, value: Array("r\(a)-\($0)".utf8), timestamp: 1) })
            }
            first = try dir.partitionLog("t", 0).segmentFiles[0]
            #expect(try dir.partitionLog("t", 0).segmentFiles.count > 2)
            if clean { try dir.close() }
        }
        // Cut the first (sealed) segment at its third batch: offsets 10 up to the next segment are gone.
        try Self.truncate(fs, first, to: starts[2])
        let reopened = try LogDirectory(path: "/d", fileSystem: fs)
        let log = try reopened.partitionLog("t", 0)
        guard case .readOnly(let reason) = log.state else { Issue.record("a sealed segment cut short was not noticed"); return }
        #expect(log.damage?.from == 10, "\(reason)")
        let error = #expect(throws: LogError.self) { try reopened.read(topic: "t", partition: 0, from: 10) }
        #expect(error?.code == .damaged)
    }

    /// Pages written back out of order before a power cut: a bad unacknowledged batch followed by a
    /// valid unacknowledged one is above the floor, so it is cut like a torn tail.
    @Test func corruptionAboveTheFloorIsCutLikeATornTail() throws {
        let fs = FaultInjectingFileSystem()
        var log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        try log.append([LogRecord(key: nil, value: [1], timestamp: 1)])
        try log.flush()
        let acknowledgedEnd = log.size
        try log.append([LogRecord(key: nil, value: [2], timestamp: 1)])
        try log.append([LogRecord(key: nil, value: [3], timestamp: 1)])
        let h = try fs.open("/d/t-0/00000000000000000000.log", create: false)
        let byte = try fs.read(h, at: acknowledgedEnd + 30, count: 1)
        try fs.write(h, [byte[0] ^ 0x08], at: acknowledgedEnd + 30)
        fs.close(h)
        log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        #expect(log.state == .writable)
        #expect(log.nextOffset == 1)
        #expect(log.recoveryNotes.contains { $0.contains("truncated a torn tail") })
    }
}
