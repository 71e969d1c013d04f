import CanonLog
import CanonLogTestKit
import Foundation
import Testing

/// Compaction (`cleanup.policy=compact`): the last record per key stays at its offset, tombstones go
/// after `delete.retention.ms`, the cleaner works beside appends, and a crash at any step of a cleaning
/// loses nothing.
@Suite struct CompactionTests {
    /// An engine whose cleaner runs only when asked (unless `checkEvery` is given).
    static func engine(_ fs: FaultInjectingFileSystem, checkEvery: Int64 = 3_600_000) throws -> LogEngine {
        var configuration = LogEngine.Configuration()
        configuration.compactionCheckIntervalMs = checkEvery
        return try LogEngine(path: "/d", fileSystem: fs, configuration: configuration)
    }

    /// Waits (at most a minute) until the cleaner's sync of a cleaned segment is held.
    static func waitForTheCleanersSync(_ fs: FaultInjectingFileSystem) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while fs.heldSyncs == 0 {
            guard ContinuousClock.now < deadline else { throw LogError(.io, "the cleaner never synced a cleaned segment") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    static let settings = ["cleanup.policy": "compact", "segment.bytes": "600"]

    /// Writes `pairs` one append each (a bare key is a tombstone); returns (offset, key, value).
    static func write(_ pairs: [String], to log: LogEngine, at time: Int64 = 1_700_000_000_000) async throws -> [(Int64, String, String?)] {
        var written: [(Int64, String, String?)] = []
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let record = LogRecord(key: Array(parts[0].utf8), value: parts.count == 2 ? Array(parts[1].utf8) : nil, timestamp: time)
            let placed = try await log.append(topic: "users", partition: 0, records: [record])
            written.append((placed[0].offset, parts[0], parts.count == 2 ? parts[1] : nil))
        }
        return written
    }

    /// Every record of the partition as "offset key value", and checks that each batch follows the one
    /// before it from the start offset to the end.
    static func contents(_ log: LogEngine) async throws -> [String] {
        var rows: [String] = []
        var expected = try await log.partitions(of: "users")[0].startOffset
        for batch in try await log.read(topic: "users", partition: 0, from: 0, maxBytes: 1 << 24) {
            #expect(batch.baseOffset == expected, "batches follow each other")
            expected = batch.lastOffset + 1
            for (offset, record) in batch.recordsWithOffsets {
                rows.append(
                    "\(offset) \(String(decoding: record.key ?? [], as: UTF8.self)) \(record.value.map { String(decoding: $0, as: UTF8.self) } ?? "null")"
                )
            }
        }
        #expect(expected == (try await log.partitions(of: "users")[0].nextOffset))
        return rows
    }

    /// What a cleaning through `cleanedThrough` leaves of `written`: below it the last record per key
    /// (tombstones too, unless `dropTombstones`), everything from it on.
    static func survivors(_ written: [(Int64, String, String?)], cleanedThrough: Int64, dropTombstones: Bool = false) -> [String] {
        var last: [String: Int64] = [:]
        for (offset, key, _) in written where offset < cleanedThrough { last[key] = offset }
        return written.filter { offset, key, value in
            offset >= cleanedThrough || last[key] == offset && !(dropTombstones && value == nil)
        }.map { "\($0.0) \($0.1) \($0.2 ?? "null")" }
    }

    /// Whether `rows` are exactly what some cleaning (through any offset, or none; a later one may have
    /// dropped old tombstones) leaves of `written`: the last record per key is always among them.
    static func isACleaningOf(_ written: [(Int64, String, String?)], _ rows: [String]) -> Bool {
        (0...(written.last!.0 + 1)).contains {
            survivors(written, cleanedThrough: $0) == rows || survivors(written, cleanedThrough: $0, dropTombstones: true) == rows
        }
    }

    static let history =
        (0..<8).flatMap { round in ["alice", "bob", "carol"].map { "\($0)=\($0) \(round)" } } + ["bob", "dave=dave 0", "alice=alice last"]
        + (0..<6).map { "f\($0)=" + String(repeating: "x", count: 100) }

    @Test func theLastRecordPerKeyStaysAtItsOffsetAndTombstonesGoAfterTheirRetention() async throws {
        let fs = FaultInjectingFileSystem()
        var log = try Self.engine(fs)
        try await log.createTopic("users", partitions: 1, configuration: try TopicConfiguration(Self.settings))
        let written = try await Self.write(Self.history, to: log)
        let before = try await Self.contents(log)
        let report = try #require(try await log.compact(topic: "users", partition: 0))
        #expect(report.recordsRemoved > 15 && report.tombstonesRemoved == 0 && report.segmentsAfter < report.segmentsBefore, "\(report)")
        let after = try await Self.contents(log)
        #expect(after == Self.survivors(written, cleanedThrough: report.cleanedThrough))
        #expect(after.contains { $0.hasSuffix("bob null") }, "a tombstone stays through the cleaning that first sees it")
        #expect(before.count > after.count)

        // Nothing is dirty now: no second cleaning until more is written.
        #expect(try await log.compact(topic: "users", partition: 0) == nil)

        // A record without a key is refused, naming it.
        let refused = await #expect(throws: LogError.self) {
            try await log.append(topic: "users", partition: 0, records: [LogRecord(key: nil, value: [1], timestamp: 0)])
        }
        #expect(refused?.code == .invalidRecord && refused?.rejections.first?.part == "key")

        // Across a power cut: the cleaned segments, the offsets, and appends continue where they were.
        await log.shutdown()
        fs.cutPower()
        log = try Self.engine(fs)
        #expect(try await Self.contents(log) == after)
        try await log.setConfiguration(topic: "users", "delete.retention.ms", "0")
        let more = try await Self.write((0..<8).map { "g\($0)=" + String(repeating: "y", count: 100) }, to: log)
        #expect(more.first?.0 == written.last!.0 + 1)

        // The next cleaning drops the tombstone (older than delete.retention.ms = 0) and bob with it.
        let second = try #require(try await log.compact(topic: "users", partition: 0))
        #expect(second.tombstonesRemoved == 1, "\(second)")
        let final = try await Self.contents(log)
        #expect(final == Self.survivors(written + more, cleanedThrough: second.cleanedThrough, dropTombstones: true))
        #expect(!final.contains { $0.contains(" bob ") })
        await log.shutdown()
    }

    /// An idempotent producer's last batch is kept, empty, when a cleaning removes its records (its
    /// fields are how the producer's sequence is found after a restart); its earlier emptied batches
    /// merge into one empty batch.
    @Test func anIdempotentProducersLastBatchIsKeptWhenItsRecordsGo() async throws {
        let log = try Self.engine(FaultInjectingFileSystem())
        try await log.createTopic("users", partitions: 1, configuration: try TopicConfiguration(Self.settings))
        for sequence in 0..<3 {
            let record = LogRecord(key: Array("k".utf8), value: Array("from the producer \(sequence)".utf8), timestamp: 1)
            _ = try await log.append(
                topic: "users", partition: 0, records: [record], producer: ProducerFields(id: 9, epoch: 0, baseSequence: Int32(sequence)),
                encoded: nil)
        }
        let written = try await Self.write(["k=plain"] + (0..<8).map { "f\($0)=" + String(repeating: "x", count: 100) }, to: log)
        _ = try #require(try await log.compact(topic: "users", partition: 0))
        let batches = try await log.read(topic: "users", partition: 0, from: 0, maxBytes: 1 << 24)
        let producers = batches.filter { $0.producerId == 9 }
        #expect(producers.map(\.baseSequence) == [2] && producers.allSatisfy(\.records.isEmpty), "\(producers)")
        #expect(batches.first?.records.isEmpty == true && batches.first?.producerId == -1 && batches.first?.lastOffset == 1)
        #expect(try await Self.contents(log).first == "3 k plain" && written.first?.0 == 3)
        await log.shutdown()
    }

    /// Under `canon.flush.policy=never` the recovery checkpoint stays where the last sync left it: here
    /// in the first segment, which a cleaning then replaces. After a power cut the partition must not
    /// read that checkpoint against the cleaned segment (it would open damaged, read-only).
    @Test func aCheckpointNamingACleanedSegmentIsNotReadAgainstIt() throws {
        let fs = FaultInjectingFileSystem()
        let key = LogDirectory.PartitionKey(topic: "users", partition: 0)
        var cleaned: [String] = []
        do {
            let dir = try LogDirectory(path: "/d", fileSystem: fs)
            try dir.createTopic(
                "users", partitions: 1, configuration: try TopicConfiguration(Self.settings.merging(["canon.flush.policy": "never"]) { $1 })
            )
            func put(_ pair: String) throws {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                _ = try dir.append(
                    topic: "users",
                    records: [LogRecord(key: Array(parts[0].utf8), value: parts.count == 2 ? Array(parts[1].utf8) : nil, timestamp: 1)])
            }
            try put(Self.history[0])
            #expect(dir.commit([key]).isEmpty)  // the one sync: the checkpoint names segment 0
            for pair in Self.history.dropFirst() { try put(pair) }
            let job = try #require(try dir.compactionJob(topic: "users", partition: 0, now: 1_800_000_000_000))
            let output = try #require(try CompactionTestAccess.run(job))
            #expect(try dir.applyCompaction(key, output) != nil)
            for batch in try dir.read(topic: "users", partition: 0, from: 0, maxBytes: 1 << 24) {
                cleaned += batch.recordsWithOffsets.map { "\($0.offset) \(String(decoding: $0.record.key ?? [], as: UTF8.self))" }
            }
        }
        fs.cutPower()
        let reopened = try LogDirectory(path: "/d", fileSystem: fs)
        let status = try reopened.partitions(of: "users")[0]
        #expect(status.state == .writable, "\(status.state) \(reopened.recoveryNotes)")
        var rows: [String] = []
        for batch in try reopened.read(topic: "users", partition: 0, from: 0, maxBytes: 1 << 24) {
            rows += batch.recordsWithOffsets.map { "\($0.offset) \(String(decoding: $0.record.key ?? [], as: UTF8.self))" }
        }
        // The cleaned (sealed, synced) segments are all there; the unsynced tail of the active one may not be.
        #expect(rows == Array(cleaned.prefix(rows.count)) && rows.count >= cleaned.count - 6, "\(rows)")
    }

    /// A power cut right after a cleaning, with no clean stop: every cleaned record is there.
    @Test func aPowerCutRightAfterACleaningLosesNothing() async throws {
        let fs = FaultInjectingFileSystem()
        var log = try Self.engine(fs)
        try await log.createTopic("users", partitions: 1, configuration: try TopicConfiguration(Self.settings))
        let written = try await Self.write(Self.history, to: log)
        let report = try #require(try await log.compact(topic: "users", partition: 0))
        let cleaned = try await Self.contents(log)
        fs.cutPower()
        // The process is gone: nothing it would still do reaches the disk.
        for operation in FaultInjectingFileSystem.Operation.allCases { fs.inject(.init(operation, count: .max)) }
        await log.shutdown()
        fs.clearFaults()
        log = try Self.engine(fs)
        let status = try await log.partitions(of: "users")[0]
        #expect(status.state == .writable && status.nextOffset == written.last!.0 + 1, "\(status) \(log.recoveryNotes)")
        #expect(try await Self.contents(log) == cleaned)
        #expect(cleaned == Self.survivors(written, cleanedThrough: report.cleanedThrough))
        await log.shutdown()
    }

    /// A fault at each file-system step of a cleaning (before and after its commit point), then a power
    /// cut: the partition opens writable with either the old or the cleaned segments, every record it
    /// serves is one written at that offset, the last record per key is there, and nothing else is lost.
    @Test(arguments: [FaultInjectingFileSystem.Operation.open, .write, .sync, .rename, .remove, .syncDirectory])
    func aCleaningInterruptedAtAnyStepLosesNothing(_ operation: FaultInjectingFileSystem.Operation) async throws {
        var finishedByRecovery = 0
        for skip in 0..<8 {
            let fs = FaultInjectingFileSystem()
            var log = try Self.engine(fs)
            try await log.createTopic("users", partitions: 1, configuration: try TopicConfiguration(Self.settings))
            let written = try await Self.write(Self.history, to: log)
            let all = written.map { "\($0.0) \($0.1) \($0.2 ?? "null")" }
            fs.inject(.init(operation, path: "/d/users-0", skip: skip))
            let outcome: Result<CompactionReport?, LogError>
            do throws(LogError) { outcome = .success(try await log.compact(topic: "users", partition: 0)) } catch {
                outcome = .failure(error)
            }
            fs.clearFaults()
            await log.shutdown()
            fs.cutPower()
            log = try Self.engine(fs)
            if log.recoveryNotes.contains(where: { $0.contains("finished an interrupted compaction") }) { finishedByRecovery += 1 }
            let status = try await log.partitions(of: "users")[0]
            #expect(status.state == .writable, "\(operation) #\(skip): \(status.state) \(log.recoveryNotes)")
            #expect(status.nextOffset == written.last!.0 + 1)
            let rows = try await Self.contents(log)
            #expect(Set(rows).isSubset(of: Set(all)), "\(operation) #\(skip): only records written at those offsets")
            #expect(Self.isACleaningOf(written, rows), "\(operation) #\(skip): the old segments or the cleaned ones, \(rows)")
            // Cleaning works again after the interruption.
            if case .success = outcome {
            } else {
                let report = try await log.compact(topic: "users", partition: 0)
                #expect(try await Self.contents(log) == Self.survivors(written, cleanedThrough: report?.cleanedThrough ?? 0))
            }
            await log.shutdown()
        }
        // Faults after the commit point leave swap files that recovery finishes.
        if operation == .remove || operation == .rename { #expect(finishedByRecovery > 0) }
    }

    /// The cleaner works off the I/O thread: while its sync of a cleaned segment is held, appends to the
    /// same partition are written, made durable and answered, and reads are served; the cleaning then
    /// finishes, and the new records are there at their offsets.
    @Test func appendsAndReadsGoOnWhileAPartitionIsCleaned() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try Self.engine(fs)
        try await log.createTopic("users", partitions: 1, configuration: try TopicConfiguration(Self.settings))
        let written = try await Self.write(Self.history, to: log)
        fs.holdSyncs(path: ".cleaned")
        let cleaning = Task { try await log.compact(topic: "users", partition: 0) }
        try await Self.waitForTheCleanersSync(fs)
        let appended = try await Self.write(["erin=erin 0", "alice=alice newest"], to: log)
        #expect(appended.map(\.0) == [written.last!.0 + 1, written.last!.0 + 2])
        #expect(try await log.read(topic: "users", partition: 0, from: appended[0].0).first?.baseOffset == appended[0].0)
        #expect(fs.heldSyncs == 1, "the cleaner is still waiting")
        fs.releaseSyncs()
        let report = try #require(try await cleaning.value)
        #expect(try await Self.contents(log) == Self.survivors(written + appended, cleanedThrough: report.cleanedThrough))
        await log.shutdown()
    }

    /// Deleting a topic while its partition is being cleaned stops the cleaner: the topic's files are
    /// all gone, and a new topic of that name starts empty.
    @Test func deletingATopicWhileItIsCleanedStopsTheCleaner() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try Self.engine(fs)
        try await log.createTopic("users", partitions: 1, configuration: try TopicConfiguration(Self.settings))
        _ = try await Self.write(Self.history, to: log)
        fs.holdSyncs(path: ".cleaned")
        let cleaning = Task { try await log.compact(topic: "users", partition: 0) }
        try await Self.waitForTheCleanersSync(fs)
        let deleting = Task { try await log.deleteTopic("users") }
        try await Task.sleep(for: .milliseconds(50))
        fs.releaseSyncs()
        try await deleting.value
        #expect(try await cleaning.value == nil)
        #expect(!fs.fileExists("/d/users-0"))
        try await log.createTopic("users", partitions: 1, configuration: try TopicConfiguration(Self.settings))
        #expect(try await log.partitions(of: "users")[0].nextOffset == 0)
        await log.shutdown()
    }

    /// Without being asked, the cleaner takes a partition whose dirty share reached
    /// `min.cleanable.dirty.ratio`, and leaves alone a topic whose policy is `delete`.
    @Test func theCleanerRunsByItselfOnceTheDirtyRatioIsReached() async throws {
        let fs = FaultInjectingFileSystem()
        let log = try Self.engine(fs, checkEvery: 20)
        try await log.createTopic("kept", partitions: 1, configuration: try TopicConfiguration(["segment.bytes": "600"]))
        try await log.createTopic(
            "users", partitions: 1,
            configuration: try TopicConfiguration(Self.settings.merging(["min.cleanable.dirty.ratio": "0.3"]) { $1 }))
        let written = try await Self.write(Self.history, to: log)
        for pair in Self.history {
            _ = try await log.append(topic: "kept", partition: 0, records: [LogRecord(key: Array(pair.utf8), value: [1], timestamp: 0)])
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while try await Self.contents(log).count == written.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let rows = try await Self.contents(log)
        #expect(rows.count < written.count, "the cleaner ran")
        #expect(Self.isACleaningOf(written, rows))
        let kept = try await log.read(topic: "kept", partition: 0, from: 0, maxBytes: 1 << 24).reduce(0) { $0 + $1.records.count }
        #expect(kept == Self.history.count)
        await log.shutdown()
    }
}
