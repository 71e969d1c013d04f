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
}
