import CanonCore
import CanonLog

/// Kafka's classic consumer-group protocol, for every group (this broker coordinates all of them):
/// members join, the leader's assignment is handed out by SyncGroup, heartbeats keep sessions alive and
/// tell members when to rejoin, and committed offsets are kept durably (``GroupOffsetStore``).
///
/// A group is a small state machine (Empty -> PreparingRebalance -> CompletingRebalance -> Stable).
/// JoinGroup and SyncGroup calls wait (their connection's next request waits too, as Kafka clients
/// expect) until the rebalance they belong to completes: every known member has rejoined, or the
/// rebalance timeout has passed and the members that did not rejoin are dropped.
actor GroupCoordinator {
    enum State: String {
        case empty = "Empty", preparingRebalance = "PreparingRebalance", completingRebalance = "CompletingRebalance", stable = "Stable"
    }

    struct JoinResult: Sendable {
        var error: KafkaErrorCode
        var generation: Int32 = -1
        var protocolName = ""
        var leader = ""
        var memberID = ""
        var members: [(id: String, metadata: [UInt8])] = []
    }

    struct SyncResult: Sendable {
        var error: KafkaErrorCode
        var assignment: [UInt8] = []
    }

    struct Member {
        var id: String
        var clientID: String
        var sessionTimeout: Duration
        var rebalanceTimeout: Duration
        var protocols: [(name: String, metadata: [UInt8])]
        var lastSeen: ContinuousClock.Instant
        var assignment: [UInt8] = []
        var join: CheckedContinuation<JoinResult, Never>?
        var sync: CheckedContinuation<SyncResult, Never>?
    }

    struct Group {
        var state = State.empty
        var generation: Int32 = 0
        var protocolType: String?
        var protocolName: String?
        var leader: String?
        /// Members in the order they first joined (the leader is the first still there).
        var members: [String: Member] = [:]
        var order: [String] = []
        /// The first rebalance of an empty group does not complete before this (Kafka's
        /// `group.initial.rebalance.delay.ms`), so consumers starting together join one generation.
        var notBefore: ContinuousClock.Instant?
    }

    /// How long the first rebalance of an empty group waits for more members. Default 1 s (Kafka: 3 s).
    let initialRebalanceDelay: Duration

    private var groups: [String: Group] = [:]
    private let store: GroupOffsetStore
    private var offsets: [GroupOffsetStore.Key: GroupOffsetStore.Committed] = [:]
    private var nextOffset: Int64 = 0
    private var loading: Task<Void, any Error>?
    private let commitLock = KeyedLock<Int>()
    private var shuttingDown = false
    private var memberCount = 0
    /// The longest a rebalance waits for members to rejoin, whatever they ask for.
    static let maximumRebalanceTimeout = Duration.seconds(300)

    init(log: any RecordLog, initialRebalanceDelay: Duration = .seconds(1)) {
        store = GroupOffsetStore(log: log)
        self.initialRebalanceDelay = initialRebalanceDelay
    }

    /// Reads the committed offsets once; callers arriving meanwhile wait for the same read.
    private func load() async throws(LogError) {
        let task = loading ?? Task { (offsets, nextOffset) = try await store.load() }
        loading = task
        do {
            try await task.value
        } catch {
            loading = nil
            throw error as? LogError ?? LogError(.io, "\(error)")
        }
    }

    // MARK: - Membership

    func join(
        group id: String, memberID: String, clientID: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, protocolType: String,
        protocols: [(name: String, metadata: [UInt8])]
    ) async -> JoinResult {
        guard !shuttingDown else { return JoinResult(error: .coordinatorNotAvailable) }
        guard !id.isEmpty else { return JoinResult(error: .invalidGroupID) }
        guard (1000...1_800_000).contains(sessionTimeoutMs) else { return JoinResult(error: .invalidSessionTimeout) }
        var group = groups[id] ?? Group()
        if let type = group.protocolType, !group.members.isEmpty, type != protocolType || protocols.isEmpty {
            return JoinResult(error: .inconsistentGroupProtocol)
        }
        if !memberID.isEmpty, group.members[memberID] == nil { return JoinResult(error: .unknownMemberID) }
        let member: String
        if memberID.isEmpty {
            memberCount += 1
            member = "\(clientID.isEmpty ? "member" : clientID)-\(memberCount)-\(UInt32.random(in: 0...UInt32.max))"
            group.order.append(member)
        } else {
            member = memberID
        }
        group.protocolType = protocolType
        let previous = group.members[member]
        previous?.join?.resume(returning: JoinResult(error: .unknownMemberID))
        previous?.sync?.resume(returning: SyncResult(error: .rebalanceInProgress))
        groups[id] = group
        return await withCheckedContinuation { continuation in
            groups[id]!.members[member] = Member(
                id: member, clientID: clientID, sessionTimeout: .milliseconds(Int(sessionTimeoutMs)),
                rebalanceTimeout: .milliseconds(Int(max(rebalanceTimeoutMs, sessionTimeoutMs))), protocols: protocols,
                lastSeen: .now, join: continuation)
            if groups[id]!.state != .preparingRebalance { beginRebalance(id) }
            completeJoinIfReady(id)
        }
    }

    /// Every member must rejoin: pending syncs are told so, and a timer ends the wait for members that
    /// do not come back.
    private func beginRebalance(_ id: String) {
        guard var group = groups[id] else { return }
        if group.state == .empty, initialRebalanceDelay > .zero {
            group.notBefore = .now + initialRebalanceDelay
            Task { [weak self, delay = initialRebalanceDelay] in
                try? await Task.sleep(for: delay)
                await self?.completeJoinIfReady(id)
            }
        }
        group.state = .preparingRebalance
        for key in group.members.keys {
            group.members[key]?.sync?.resume(returning: SyncResult(error: .rebalanceInProgress))
            group.members[key]?.sync = nil
        }
        let timeout = min(group.members.values.map(\.rebalanceTimeout).max() ?? .seconds(60), Self.maximumRebalanceTimeout)
        let generation = group.generation
        groups[id] = group
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.rebalanceTimedOut(id, generation: generation)
        }
    }

    private func rebalanceTimedOut(_ id: String, generation: Int32) {
        guard let group = groups[id], group.state == .preparingRebalance, group.generation == generation else { return }
        completeJoin(id)
    }

    private func completeJoinIfReady(_ id: String) {
        guard let group = groups[id], group.state == .preparingRebalance, group.members.values.allSatisfy({ $0.join != nil }) else {
            return
        }
        if let notBefore = group.notBefore, ContinuousClock.now < notBefore { return }
        completeJoin(id)
    }

    /// Ends a rebalance with the members that rejoined: a new generation, a protocol every member
    /// supports, and the leader (who gets every member's metadata to assign from).
    private func completeJoin(_ id: String) {
        guard var group = groups[id] else { return }
        for (key, member) in group.members where member.join == nil { group.members[key] = nil }
        group.order.removeAll { group.members[$0] == nil }
        guard !group.members.isEmpty else {
            group.state = .empty
            group.leader = nil
            groups[id] = group
            return
        }
        group.generation += 1
        group.notBefore = nil
        if group.leader.map({ group.members[$0] == nil }) ?? true { group.leader = group.order.first }
        let leader = group.leader!
        let candidates = group.members[leader]!.protocols.map(\.name)
        let chosen =
            candidates.first { name in group.members.values.allSatisfy { $0.protocols.contains { $0.name == name } } } ?? candidates.first
            ?? ""
        group.protocolName = chosen
        group.state = .completingRebalance
        let everyone = group.order.compactMap { key in
            group.members[key].map { m in (id: key, metadata: m.protocols.first { $0.name == chosen }?.metadata ?? []) }
        }
        for key in group.order {
            guard let continuation = group.members[key]?.join else { continue }
            group.members[key]?.join = nil
            group.members[key]?.lastSeen = .now
            continuation.resume(
                returning: JoinResult(
                    error: .none, generation: group.generation, protocolName: chosen, leader: leader, memberID: key,
                    members: key == leader ? everyone : []))
        }
        groups[id] = group
    }

    func sync(group id: String, generation: Int32, memberID: String, assignments: [(member: String, assignment: [UInt8])]) async
        -> SyncResult
    {
        guard let group = groups[id], group.members[memberID] != nil else { return SyncResult(error: .unknownMemberID) }
        guard generation == group.generation else { return SyncResult(error: .illegalGeneration) }
        groups[id]!.members[memberID]!.lastSeen = .now
        switch group.state {
        case .empty, .preparingRebalance: return SyncResult(error: .rebalanceInProgress)
        case .stable: return SyncResult(error: .none, assignment: group.members[memberID]!.assignment)
        case .completingRebalance:
            if memberID == group.leader {
                for key in group.members.keys {
                    groups[id]!.members[key]!.assignment = assignments.first { $0.member == key }?.assignment ?? []
                }
                groups[id]!.state = .stable
                for key in group.members.keys {
                    if let waiting = groups[id]!.members[key]!.sync {
                        groups[id]!.members[key]!.sync = nil
                        waiting.resume(returning: SyncResult(error: .none, assignment: groups[id]!.members[key]!.assignment))
                    }
                }
                return SyncResult(error: .none, assignment: groups[id]!.members[memberID]!.assignment)
            }
            guard !shuttingDown else { return SyncResult(error: .coordinatorNotAvailable) }
            return await withCheckedContinuation { continuation in
                // A retried SyncGroup (a new connection) replaces the earlier wait, which is answered first.
                groups[id]!.members[memberID]!.sync?.resume(returning: SyncResult(error: .rebalanceInProgress))
                groups[id]!.members[memberID]!.sync = continuation
            }
        }
    }

    func heartbeat(group id: String, generation: Int32, memberID: String) -> KafkaErrorCode {
        guard let group = groups[id], group.members[memberID] != nil else { return .unknownMemberID }
        guard generation == group.generation else { return .illegalGeneration }
        groups[id]!.members[memberID]!.lastSeen = .now
        return group.state == .preparingRebalance ? .rebalanceInProgress : .none
    }

    func leave(group id: String, memberID: String) -> KafkaErrorCode {
        guard groups[id]?.members[memberID] != nil else { return .unknownMemberID }
        remove(memberID, from: id)
        return .none
    }

    private func remove(_ memberID: String, from id: String) {
        guard let member = groups[id]?.members.removeValue(forKey: memberID) else { return }
        groups[id]!.order.removeAll { $0 == memberID }
        member.join?.resume(returning: JoinResult(error: .unknownMemberID))
        member.sync?.resume(returning: SyncResult(error: .unknownMemberID))
        if groups[id]!.members.isEmpty {
            groups[id]!.state = .empty
            groups[id]!.leader = nil
        } else if groups[id]!.state == .preparingRebalance {
            completeJoinIfReady(id)
        } else {
            beginRebalance(id)
        }
    }

    /// Drops members whose session passed without a heartbeat (members waiting in JoinGroup are alive).
    func expireSessions() {
        let now = ContinuousClock.now
        for (id, group) in groups {
            for member in group.members.values where member.join == nil && member.lastSeen + member.sessionTimeout < now {
                remove(member.id, from: id)
            }
        }
    }

    /// Expires sessions every half second until cancelled.
    func expireSessionsUntilCancelled() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(500)) } catch { return }
            expireSessions()
        }
    }

    /// Answers every JoinGroup and SyncGroup still waiting (with COORDINATOR_NOT_AVAILABLE, which makes
    /// clients find a coordinator again): the server is shutting down.
    func endWaits() {
        shuttingDown = true
        for id in groups.keys {
            for key in groups[id]!.members.keys {
                groups[id]!.members[key]!.join?.resume(returning: JoinResult(error: .coordinatorNotAvailable))
                groups[id]!.members[key]!.join = nil
                groups[id]!.members[key]!.sync?.resume(returning: SyncResult(error: .coordinatorNotAvailable))
                groups[id]!.members[key]!.sync = nil
            }
        }
    }

    // MARK: - Offsets

    func commit(
        group id: String, generation: Int32, memberID: String,
        offsets commits: [(topic: String, partition: Int32, offset: Int64, metadata: String?)]
    )
        async -> KafkaErrorCode
    {
        if generation >= 0 || !memberID.isEmpty {
            guard let group = groups[id], group.members[memberID] != nil else { return .unknownMemberID }
            guard generation == group.generation else { return .illegalGeneration }
            // Members commit what they processed when told to rejoin (PreparingRebalance), as Kafka
            // allows; between the join and the assignment the generation is not settled.
            if group.state == .completingRebalance { return .rebalanceInProgress }
            groups[id]!.members[memberID]!.lastSeen = .now
        }
        await commitLock.acquire(0)
        defer { commitLock.release(0) }
        do throws(LogError) {
            try await load()
            let entries = commits.map { c in
                (
                    GroupOffsetStore.Key(group: id, topic: c.topic, partition: c.partition),
                    GroupOffsetStore.Committed(offset: c.offset, metadata: c.metadata)
                )
            }
            for attempt in 0..<5 {
                do throws(LogError) {
                    nextOffset = try await store.append(entries, expectedNext: nextOffset)
                    break
                } catch  where error.code == .unexpectedOffset && attempt < 4 {
                    nextOffset = try await store.nextOffset()
                }
            }
            for (key, committed) in entries { offsets[key] = committed }
            return .none
        } catch {
            return .kafkaStorageError
        }
    }

    /// Committed offsets of `topics` (every committed partition of the group when nil): -1 where none.
    func fetch(group id: String, topics: [(name: String, partitions: [Int32])]?) async throws(LogError)
        -> [(topic: String, partitions: [(index: Int32, committed: GroupOffsetStore.Committed?)])]
    {
        try await load()
        if let topics {
            return topics.map { t in
                (t.name, t.partitions.map { p in (p, offsets[GroupOffsetStore.Key(group: id, topic: t.name, partition: p)]) })
            }
        }
        let mine = offsets.filter { $0.key.group == id }
        return Dictionary(grouping: mine, by: \.key.topic).sorted { $0.key < $1.key }.map { topic, entries in
            (topic, entries.sorted { $0.key.partition < $1.key.partition }.map { ($0.key.partition, Optional($0.value)) })
        }
    }

    // MARK: - Listing

    func list() -> [(id: String, protocolType: String)] {
        groups.filter { !$0.value.members.isEmpty }.map { ($0.key, $0.value.protocolType ?? "") }.sorted { $0.id < $1.id }
    }

    struct Description: Sendable {
        var id: String
        var state: String
        var protocolType: String
        var protocolName: String
        var members: [(id: String, clientID: String, metadata: [UInt8], assignment: [UInt8])]
    }

    func describe(_ id: String) -> Description {
        guard let group = groups[id] else { return Description(id: id, state: "Dead", protocolType: "", protocolName: "", members: []) }
        return Description(
            id: id, state: group.state.rawValue, protocolType: group.protocolType ?? "", protocolName: group.protocolName ?? "",
            members: group.order.compactMap { key in
                group.members[key].map { m in
                    (key, m.clientID, m.protocols.first { $0.name == group.protocolName }?.metadata ?? [], m.assignment)
                }
            })
    }
}
