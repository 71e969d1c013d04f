@testable import CanonKafka
import CanonLog
import CanonLogTestKit
import Testing

/// The group state machine without a client: a generation per completed rebalance, the leader's
/// assignment handed out, errors for stale generations and unknown members, sessions that expire.
@Suite struct GroupCoordinatorTests {
    @Test func joinSyncHeartbeatAndExpiry() async throws {
        let log = try LogEngine(path: "/data", fileSystem: FaultInjectingFileSystem())
        let groups = GroupCoordinator(log: log, initialRebalanceDelay: .zero)
        let joined = await groups.join(
            group: "g", memberID: "", clientID: "c", sessionTimeoutMs: 1000, rebalanceTimeoutMs: 5000, protocolType: "consumer",
            protocols: [("range", [1]), ("roundrobin", [2])])
        #expect(joined.error == .none && joined.generation == 1 && joined.leader == joined.memberID && joined.protocolName == "range")
        #expect(joined.members.map(\.id) == [joined.memberID] && joined.members.first?.metadata == [1])

        let synced = await groups.sync(group: "g", generation: 1, memberID: joined.memberID, assignments: [(joined.memberID, [9, 9])])
        #expect(synced.error == .none && synced.assignment == [9, 9])
        #expect(await groups.describe("g").state == "Stable")
        #expect(await groups.heartbeat(group: "g", generation: 1, memberID: joined.memberID) == .none)
        #expect(await groups.heartbeat(group: "g", generation: 0, memberID: joined.memberID) == .illegalGeneration)
        #expect(await groups.heartbeat(group: "g", generation: 1, memberID: "nobody") == .unknownMemberID)
        #expect(await groups.commit(group: "g", generation: 0, memberID: joined.memberID, offsets: []) == .illegalGeneration)
        #expect(
            await groups.commit(group: "g", generation: 1, memberID: joined.memberID, offsets: [("t", 0, 42, "m")]) == .none)
        let fetched = try await groups.fetch(group: "g", topics: [("t", [0, 1])])
        #expect(fetched.first?.partitions.map { $0.committed?.offset } == [42, nil])

        let refused = await groups.join(
            group: "g", memberID: "", clientID: "c", sessionTimeoutMs: 10, rebalanceTimeoutMs: 10, protocolType: "consumer", protocols: [])
        #expect(refused.error == .invalidSessionTimeout)

        try await Task.sleep(for: .milliseconds(1100))
        await groups.expireSessions()
        #expect(await groups.describe("g").state == "Empty")
        #expect(await groups.heartbeat(group: "g", generation: 1, memberID: joined.memberID) == .unknownMemberID)
        await log.shutdown()
    }

    /// `_group_offsets` is compacted: after many commits of the same partitions a cleaning leaves about
    /// one record per group, topic and partition, and the offsets read back are the last committed.
    @Test func theGroupOffsetsTopicIsCompactedToTheLastCommitPerPartition() async throws {
        var configuration = LogEngine.Configuration()
        configuration.compactionCheckIntervalMs = 3_600_000  // only the cleaning asked for below
        let log = try LogEngine(path: "/data", fileSystem: FaultInjectingFileSystem(), configuration: configuration)
        var store = GroupOffsetStore(log: log)
        store.segmentBytes = 1000
        var next = try await store.load().next
        #expect(try await log.topic(GroupOffsetStore.topic)?.configuration.cleanupPolicy == .compact)
        for round in 0..<60 {
            let commits = (0..<3).map { p in
                (
                    GroupOffsetStore.Key(group: "g", topic: "t", partition: Int32(p)),
                    GroupOffsetStore.Committed(offset: Int64(round * 10 + p), metadata: nil)
                )
            }
            next = try await store.append(commits, expectedNext: next)
        }
        let report = try #require(try await log.compact(topic: GroupOffsetStore.topic, partition: 0))
        let kept = try await log.read(topic: GroupOffsetStore.topic, partition: 0, from: 0, maxBytes: 1 << 24).reduce(0) {
            $0 + $1.records.count
        }
        #expect(report.recordsRemoved > 150 && kept < 30, "\(report), \(kept) records kept")
        let reloaded = try await GroupOffsetStore(log: log).load()
        #expect(reloaded.next == next)
        #expect((0..<3).map { reloaded.offsets[.init(group: "g", topic: "t", partition: Int32($0))]?.offset } == [590, 591, 592])
        await log.shutdown()
    }
}
