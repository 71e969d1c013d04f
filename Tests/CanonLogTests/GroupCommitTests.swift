import Testing

@testable import CanonLog

/// The group-commit state machine, step by step: no threads, no files, the clock passed in.
@Suite struct GroupCommitTests {
    typealias Key = LogDirectory.PartitionKey
    static let a = Key(topic: "t", partition: 0)
    static let b = Key(topic: "t", partition: 1)
    static func id(_ n: Int) -> GroupCommit.AppendID { .init(rawValue: n) }
    static let failure = LogError(.io, "fdatasync failed")

    @Test func appendsWrittenDuringASyncWaitForTheNextOneWhichCoversThemAll() {
        var commit = GroupCommit()
        commit.appended(Self.id(1), needs: [Self.a: 1], generations: [Self.a: 7])
        #expect(commit.syncsToStart(clock: 0, holding: true) == [Self.a])
        commit.syncStarted(Self.a, clock: 0)
        // Two more appends while the sync runs: no second sync on the partition.
        commit.appended(Self.id(2), needs: [Self.a: 2], generations: [Self.a: 7])
        commit.appended(Self.id(3), needs: [Self.a: 3], generations: [Self.a: 7])
        #expect(commit.syncsToStart(clock: 10, holding: true).isEmpty)
        // The first sync covered offset 0 only: one answer, and the partition wants another sync.
        #expect(commit.syncCompleted(Self.a, durable: 1, clock: 100) == [.answer(Self.id(1))])
        #expect(commit.syncsToStart(clock: 100, holding: true) == [Self.a])
        commit.syncStarted(Self.a, clock: 100)
        #expect(commit.syncCompleted(Self.a, durable: 3, clock: 200) == [.answer(Self.id(2)), .answer(Self.id(3))])
        #expect(commit.isIdle)
    }

    @Test func anAppendOverSeveralPartitionsIsAnsweredWhenTheLastOfThemIsDurable() {
        var commit = GroupCommit()
        commit.appended(Self.id(1), needs: [Self.a: 5, Self.b: 2], generations: [:])
        #expect(Set(commit.syncsToStart(clock: 0, holding: true)) == [Self.a, Self.b])
        commit.syncStarted(Self.a, clock: 0)
        commit.syncStarted(Self.b, clock: 0)
        #expect(commit.syncCompleted(Self.b, durable: 2, clock: 10).isEmpty)
        #expect(commit.waitingAppends == 1)
        #expect(commit.syncCompleted(Self.a, durable: 5, clock: 20) == [.answer(Self.id(1))])
        #expect(commit.isIdle)
    }

    @Test func aFailedPartitionFailsEachOfItsAppendsOnceAndOnlyThose() {
        var commit = GroupCommit()
        commit.appended(Self.id(1), needs: [Self.a: 1, Self.b: 1], generations: [:])
        commit.appended(Self.id(2), needs: [Self.b: 2], generations: [:])
        _ = commit.syncsToStart(clock: 0, holding: true)
        commit.syncStarted(Self.a, clock: 0)
        commit.syncStarted(Self.b, clock: 0)
        #expect(commit.syncFailed(Self.a, Self.failure) == [.fail(Self.id(1), Self.failure)])
        // Partition b's sync answers append 2; append 1 was failed already and is not answered again.
        #expect(commit.syncCompleted(Self.b, durable: 2, clock: 10) == [.answer(Self.id(2))])
        #expect(commit.partitionFailed(Self.a, Self.failure).isEmpty)
        #expect(commit.isIdle)
    }

    @Test func afterASyncThatAnsweredSeveralTheNextWaitsBrieflyForAsManyAppends() {
        var commit = GroupCommit()
        for n in 1...3 { commit.appended(Self.id(n), needs: [Self.a: Int64(n)], generations: [:]) }
        _ = commit.syncsToStart(clock: 0, holding: true)
        commit.syncStarted(Self.a, clock: 0)
        #expect(commit.syncCompleted(Self.a, durable: 3, clock: 100_000).count == 3)
        // One producer is back: the partition is held (half the sync's 100 µs) for the other two.
        commit.appended(Self.id(4), needs: [Self.a: 4], generations: [:])
        #expect(commit.syncsToStart(clock: 100_010, holding: true).isEmpty)
        #expect(commit.nextHoldDeadline == 150_000)
        // Three are back before the hold ends: sync at once.
        commit.appended(Self.id(5), needs: [Self.a: 5], generations: [:])
        commit.appended(Self.id(6), needs: [Self.a: 6], generations: [:])
        #expect(commit.syncsToStart(clock: 100_020, holding: true) == [Self.a])
        commit.syncStarted(Self.a, clock: 100_020)
        _ = commit.syncCompleted(Self.a, durable: 6, clock: 200_020)
        // Held again; the hold ends at its deadline, and a draining engine does not hold at all.
        commit.appended(Self.id(7), needs: [Self.a: 7], generations: [:])
        #expect(commit.syncsToStart(clock: 200_030, holding: true).isEmpty)
        #expect(commit.syncsToStart(clock: 200_030, holding: false) == [Self.a])
        commit.syncStarted(Self.a, clock: 200_030)
        _ = commit.syncCompleted(Self.a, durable: 7, clock: 300_000)
        // A sync that answered one append sets no hold.
        commit.appended(Self.id(8), needs: [Self.a: 8], generations: [:])
        commit.appended(Self.id(9), needs: [Self.a: 9], generations: [:])
        #expect(commit.syncsToStart(clock: 300_001, holding: true) == [Self.a])
        commit.syncStarted(Self.a, clock: 300_001)
        _ = commit.syncCompleted(Self.a, durable: 9, clock: 400_001)
        commit.appended(Self.id(10), needs: [Self.a: 10], generations: [:])
        #expect(commit.syncsToStart(clock: 400_002, holding: true).isEmpty)
        #expect(commit.syncsToStart(clock: commit.nextHoldDeadline!, holding: true) == [Self.a])
    }

    @Test func theHoldIsCappedWhateverTheSyncTook() {
        var commit = GroupCommit()
        for n in 1...2 { commit.appended(Self.id(n), needs: [Self.a: Int64(n)], generations: [:]) }
        _ = commit.syncsToStart(clock: 0, holding: true)
        commit.syncStarted(Self.a, clock: 0)
        _ = commit.syncCompleted(Self.a, durable: 2, clock: 50_000_000)
        commit.appended(Self.id(3), needs: [Self.a: 3], generations: [:])
        #expect(commit.nextHoldDeadline == 50_000_000 + GroupCommit.maximumHoldNanoseconds)
    }

    @Test func aFlushNobodyWaitsForIsASyncThatAnswersNothing() {
        var commit = GroupCommit()
        commit.flushRequested(Self.a)
        #expect(commit.syncsToStart(clock: 0, holding: true) == [Self.a])
        commit.syncStarted(Self.a, clock: 0)
        #expect(commit.hasSyncsInFlight && commit.isIdle == false)
        #expect(commit.syncCompleted(Self.a, durable: 9, clock: 10).isEmpty)
        #expect(commit.isIdle)
        #expect(commit.syncsToStart(clock: 20, holding: true).isEmpty)
    }

    @Test func nothingToSyncAnswersWhatIsAlreadyDurable() {
        var commit = GroupCommit()
        commit.appended(Self.id(1), needs: [Self.a: 4], generations: [:])
        commit.appended(Self.id(2), needs: [Self.a: 6], generations: [:])
        _ = commit.syncsToStart(clock: 0, holding: true)
        #expect(commit.nothingToSync(Self.a, durable: 4) == [.answer(Self.id(1))])
        #expect(commit.waitingAppends == 1)
        // The one still waiting gets a sync.
        #expect(commit.syncsToStart(clock: 1, holding: true) == [Self.a])
    }

    @Test func appendsToAReplacedPartitionLogAreFound() {
        var commit = GroupCommit()
        commit.appended(Self.id(1), needs: [Self.a: 1], generations: [Self.a: 7])
        commit.appended(Self.id(2), needs: [Self.b: 1], generations: [Self.b: 8])
        // Partition a's topic was recreated (a new log), b's is unchanged.
        #expect(commit.replacedPartitions { $0 == Self.a ? 9 : 8 } == [Self.a])
        #expect(commit.replacedPartitions { $0 == Self.a ? nil : 8 } == [Self.a])
        // A sync of the old log finishing later does not answer anything; the new log's appends get a sync.
        _ = commit.syncsToStart(clock: 0, holding: true)
        commit.syncStarted(Self.a, clock: 0)
        #expect(commit.partitionFailed(Self.a, Self.failure) == [.fail(Self.id(1), Self.failure)])
        commit.appended(Self.id(3), needs: [Self.a: 1], generations: [Self.a: 9])
        #expect(commit.syncsToStart(clock: 1, holding: true).isEmpty)  // the old log's sync is still running
        commit.staleSyncCompleted(Self.a)
        #expect(commit.syncsToStart(clock: 1, holding: true).contains(Self.a))
    }
}
