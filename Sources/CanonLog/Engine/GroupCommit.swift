/// The group-commit bookkeeping of the engine's I/O thread, as a value: the thread tells it what
/// happened (an append was written, a sync started, finished or failed, a flush is due) and it answers
/// with what to do (answer or fail appends, which partitions to sync now). No threads, no files, no
/// clock of its own: the unit tests drive it step by step.
///
/// The rules:
/// - one sync in flight per partition; appends written meanwhile wait for the next one, which covers
///   all of them (group commit);
/// - an append is answered once every partition it wrote to is durable up to its last record there,
///   and failed (once) as soon as any of them fails;
/// - after a sync that answered several appends, the next sync of that partition waits briefly (half
///   the last sync's duration, at most ``maximumHoldNanoseconds``) until as many appends are waiting
///   again, so that one `fdatasync` covers nearly every producer in flight instead of half of them;
/// - a flush nobody waits for (the interval policy's timer, a due recovery checkpoint) is a sync like
///   any other.
struct GroupCommit {
    typealias Key = LogDirectory.PartitionKey

    /// An append, named by the I/O thread (which keeps its answer).
    struct AppendID: Hashable, Sendable {
        var rawValue: Int
    }

    /// What the I/O thread does next.
    enum Action: Equatable {
        /// Every partition of the append is durable: answer it with its placements.
        case answer(AppendID)
        /// The append failed (its partition's sync failed, or its topic is gone).
        case fail(AppendID, LogError)
    }

    /// The longest a sync waits for producers to come back.
    static let maximumHoldNanoseconds: UInt64 = 300_000

    /// Per append: partition -> the offset its sync must reach (the append's last offset there + 1).
    private var needs: [AppendID: [Key: Int64]] = [:]
    /// Per partition: the appends waiting for it, in the order they were written.
    private var queues: [Key: [AppendID]] = [:]
    /// Per partition: the generation of the partition log the waiting appends were written to (a topic
    /// deleted and recreated has new logs, and the old one's appends fail).
    private var owners: [Key: UInt64] = [:]
    /// Partitions with something to sync that have no sync started yet.
    private var wanted: Set<Key> = []
    /// Partitions with a sync in flight, and when it started.
    private var inFlight: [Key: UInt64] = [:]
    private var holds: [Key: (until: UInt64, appends: Int)] = [:]

    /// Whether a sync is running.
    var hasSyncsInFlight: Bool { !inFlight.isEmpty }

    /// Nothing in flight and no append waiting: the thread may stop.
    var isIdle: Bool { inFlight.isEmpty && needs.isEmpty }

    /// How many appends wait for a sync.
    var waitingAppends: Int { needs.count }

    /// The earliest moment (uptime nanoseconds) a held partition with appends waiting must be synced,
    /// if any: the thread wakes up then.
    var nextHoldDeadline: UInt64? {
        holds.filter { wanted.contains($0.key) }.map(\.value.until).min()
    }

    /// An append was written: `needs` maps each partition it wrote to the offset its sync must reach,
    /// `generations` the partition logs it was written to.
    mutating func appended(_ id: AppendID, needs: [Key: Int64], generations: [Key: UInt64]) {
        guard !needs.isEmpty else { return }
        self.needs[id] = needs
        for key in needs.keys {
            queues[key, default: []].append(id)
            wanted.insert(key)
            if let generation = generations[key] { owners[key] = generation }
        }
    }

    /// A flush nobody waits for.
    mutating func flushRequested(_ key: Key) {
        wanted.insert(key)
    }

    /// The partitions to start a sync on now: something to sync, none in flight, not held (`holding`
    /// false while the engine drains for shutdown). The thread reports back on each with
    /// ``syncStarted(_:clock:)``, ``nothingToSync(_:durable:)`` or ``partitionFailed(_:_:)``.
    mutating func syncsToStart(clock: UInt64, holding: Bool) -> [Key] {
        holds = holds.filter { clock < $0.value.until }
        var start: [Key] = []
        for key in wanted where inFlight[key] == nil {
            if holding, let hold = holds[key], (queues[key]?.count ?? 0) < hold.appends { continue }
            holds[key] = nil
            start.append(key)
        }
        for key in start { wanted.remove(key) }
        return start
    }

    /// A sync of the partition started (the thread took a ticket and handed it to a sync thread).
    mutating func syncStarted(_ key: Key, clock: UInt64) {
        inFlight[key] = clock
    }

    /// The partition had nothing to sync: its appends up to `durable` are answered (any left wait for a
    /// sync again).
    mutating func nothingToSync(_ key: Key, durable: Int64) -> [Action] {
        var actions: [Action] = []
        answer(key, durable: durable, into: &actions)
        if queues[key] != nil { wanted.insert(key) }
        return actions
    }

    /// The partition's sync finished: everything below `durable` is durable. Returns the answers.
    mutating func syncCompleted(_ key: Key, durable: Int64, clock: UInt64) -> [Action] {
        let started = inFlight.removeValue(forKey: key) ?? clock
        var actions: [Action] = []
        let answered = answer(key, durable: durable, into: &actions)
        if queues[key] != nil { wanted.insert(key) }
        if answered > 1 {
            let took = started <= clock ? clock - started : 0
            holds[key] = (clock + min(took / 2, Self.maximumHoldNanoseconds), answered)
        }
        return actions
    }

    /// A sync finished on a partition log that has been replaced since (its appends were failed then);
    /// the new log's appends, if any, get their own sync.
    mutating func staleSyncCompleted(_ key: Key) {
        inFlight[key] = nil
        if queues[key] != nil { wanted.insert(key) }
    }

    /// The partition's sync failed (or finished after its topic was deleted): as
    /// ``partitionFailed(_:_:)``, and no sync is in flight there any more.
    mutating func syncFailed(_ key: Key, _ error: LogError) -> [Action] {
        inFlight[key] = nil
        return partitionFailed(key, error)
    }

    /// The partition cannot become durable (it is read-only, its topic is gone or was replaced): every
    /// append waiting on it fails, once, and leaves the other partitions' queues. A sync still in
    /// flight there (on a replaced log) is reported later, with ``staleSyncCompleted(_:)``.
    mutating func partitionFailed(_ key: Key, _ error: LogError) -> [Action] {
        wanted.remove(key)
        owners[key] = nil
        guard let queue = queues.removeValue(forKey: key) else { return [] }
        var actions: [Action] = []
        var failed = Set<AppendID>()
        for id in queue where needs.removeValue(forKey: id) != nil {
            failed.insert(id)
            actions.append(.fail(id, error))
        }
        for (other, waiting) in queues {
            let kept = waiting.filter { !failed.contains($0) }
            queues[other] = kept.isEmpty ? nil : kept
            if kept.isEmpty { owners[other] = nil }
        }
        return actions
    }

    /// After topic changes: the partitions whose waiting appends were written to another log than the
    /// current one (`generation` answers nil for a partition that no longer exists).
    func replacedPartitions(generation: (Key) -> UInt64?) -> [Key] {
        queues.keys.filter { generation($0) != owners[$0] }
    }

    /// Answers the appends of the partition that `durable` covers; returns how many left its queue.
    @discardableResult
    private mutating func answer(_ key: Key, durable: Int64, into actions: inout [Action]) -> Int {
        guard let queue = queues[key] else { return 0 }
        var kept: [AppendID] = []
        var answered = 0
        for id in queue {
            guard let need = needs[id]?[key], need <= durable else {
                kept.append(id)
                continue
            }
            needs[id]![key] = nil
            answered += 1
            if needs[id]!.isEmpty {
                needs[id] = nil
                actions.append(.answer(id))
            }
        }
        queues[key] = kept.isEmpty ? nil : kept
        if kept.isEmpty { owners[key] = nil }
        return answered
    }
}
