import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Foundation
import Testing

/// Many topics and partitions within a bounded number of open files, proportional disk use, caps on
/// topics and partitions, and topic creation that is all or nothing.
@Suite struct OpenFileBudgetTests {
    static func record(_ i: Int) -> LogRecord { LogRecord(key: nil, value: Array("value \(i)".utf8), timestamp: 1_000 + Int64(i)) }

    @Test func partitionsBeyondTheBudgetAreParkedAndReopenedOnUse() throws {
        let fs = FaultInjectingFileSystem()
        let limits = LogDirectory.Limits(maximumOpenFiles: 40)
        var dir = try LogDirectory(path: "/d", fileSystem: fs, limits: limits)
        for t in 0..<100 {
            try dir.createTopic("t\(t)", partitions: 1)
            _ = try dir.append(topic: "t\(t)", records: [Self.record(t)])
            #expect(fs.openHandleCount <= 40 + 2, "\(fs.openHandleCount) files open after topic \(t)")
        }
        // Every partition reads and takes appends again, parked or not.
        for t in 0..<100 {
            #expect(try dir.read(topic: "t\(t)", partition: 0, from: 0).flatMap(\.records).map(\.value) == [Array("value \(t)".utf8)])
            #expect(try dir.append(topic: "t\(t)", records: [Self.record(t + 1000)])[0].offset == 1)
        }
        #expect(fs.openHandleCount <= 42)
        // Parked partitions' synced records survive a power cut, and opening stays within the budget.
        fs.cutPower()
        dir = try LogDirectory(path: "/d", fileSystem: fs, limits: limits)
        #expect(fs.openHandleCount <= 42)
        for t in 0..<100 {
            #expect(try dir.read(topic: "t\(t)", partition: 0, from: 0).flatMap(\.records).count == 2)
        }
        try dir.close()
        #expect(fs.openHandleCount == 0)
    }

    @Test func aFiftyPartitionTopicWithOneSmallBatchTakesLittleDisk() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("canon-disk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dir = try LogDirectory(path: path, fileSystem: PosixFileSystem())
        try dir.createTopic("wide", partitions: 50)
        _ = try dir.append(topic: "wide", records: (0..<50).map { LogRecord(key: Array("k\($0)".utf8), value: [1, 2, 3], timestamp: 1) })
        try dir.close()
        var allocated = 0
        for file in FileManager.default.subpaths(atPath: path) ?? [] {
            var info = stat()
            if stat(path + "/" + file, &info) == 0 { allocated += Int(info.st_blocks) * 512 }
        }
        #expect(allocated < 8 << 20, "\(allocated) bytes on disk")
    }

    @Test func topicsAndPartitionsAreCapped() throws {
        let dir = try LogDirectory(
            path: "/d", fileSystem: FaultInjectingFileSystem(), limits: LogDirectory.Limits(maximumTopics: 3, maximumPartitions: 10))
        try dir.createTopic("a", partitions: 4)
        try dir.createTopic("b", partitions: 4)
        let partitions = #expect(throws: LogError.self) { try dir.createTopic("c", partitions: 3) }
        #expect(partitions?.message.contains("past the data directory's limit of 10") == true)
        try dir.createTopic("c", partitions: 2)
        let topics = #expect(throws: LogError.self) { try dir.createTopic("d", partitions: 1) }
        #expect(topics?.message.contains("holds 3 topics, its limit (3)") == true)
    }

    @Test func aFailedTopicCreationLeavesNothingBehind() throws {
        let fs = FaultInjectingFileSystem()
        let dir = try LogDirectory(path: "/d", fileSystem: fs)
        let before = try fs.contentsOfDirectory("/d")
        // The 300th partition's directory cannot be made.
        fs.inject(.init(.createDirectory, path: "/d/many-", skip: 299))
        #expect(throws: LogError.self) { try dir.createTopic("many", partitions: 1_000) }
        fs.clearFaults()
        #expect(try fs.contentsOfDirectory("/d") == before)
        #expect(dir.topics["many"] == nil)
        // And the name is free for a creation that succeeds.
        try dir.createTopic("many", partitions: 3)
        #expect(try dir.partitions(of: "many").count == 3)
    }
}

extension OpenFileBudgetTests {
    /// A partition's files are closed only once the syncs using them are over: a topic deleted (or a
    /// partition parked or released) under a running sync must not free descriptor numbers that another
    /// file could take while the sync still writes the acknowledged mark through them.
    @Test func filesStayOpenUntilTheSyncUsingThemIsOver() throws {
        let fs = FaultInjectingFileSystem()
        let log = try PartitionLog(directory: "/d/t-0", fileSystem: fs)
        try log.append([Self.record(1)])
        let open = fs.openHandleCount
        guard let ticket = log.beginSync() else { Issue.record("nothing to sync"); return }
        #expect(!log.park())  // not while the sync runs
        try log.removeFiles()
        #expect(fs.openHandleCount == open, "files closed under a running sync")
        _ = try? ticket.perform(on: fs)
        #expect(fs.openHandleCount == open - 2)
    }
}
