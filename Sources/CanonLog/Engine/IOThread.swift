import Foundation

/// The engine's I/O thread: the only thread that touches the ``LogDirectory``. It takes queued jobs
/// (appends, topic changes, reads), writes appends at once, and leaves the `fdatasync`s to the
/// ``SyncPool``; ``GroupCommit`` decides which partition to sync when and which appends a finished sync
/// answers. Timers (interval flushes, retention) run on it too, and their flushes take the same syncs.
// @unchecked Sendable: `jobs`, `completions`, `stopped`, `onStopped`, `loops` and the statistics are
// only touched with `condition` held; the directory, `commit`, `answers` and `nextAppend` only on the
// I/O thread (run()).
final class IOThread: @unchecked Sendable {
    typealias Placements = [(partition: Int, offset: Int64)]
    typealias Answer = PendingAppend

    /// An append: its batches (grouped by partition, validated), its record count, and for an internal
    /// topic's owner the partition's next offset it expects.
    struct Append {
        var topic: String
        var batches: [LogDirectory.PartitionBatch]
        var count: Int
        var expectedNextOffset: Int64?
    }

    enum Job {
        case append(Append, Answer)
        /// Work on the directory (a read, a topic change: `changesTopics`).
        case other(run: (LogDirectory) -> Void, changesTopics: Bool, cancel: (any Error) -> Void)
    }

    private let directory: LogDirectory
    private let configuration: LogEngine.Configuration
    private let syncPool = SyncPool(maximum: 16)
    /// Runs compaction off this thread.
    let cleaner = LogCleaner()
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var completions: [(LogDirectory.PartitionKey, PartitionLog.SyncTicket, (error: LogError?, dataDurable: Bool))] = []
    private var stopped = false
    private var onStopped: [@Sendable () -> Void] = []
    private var finished = false
    private var syncs = 0
    private var syncedBatches = 0
    private var loops = 0
    // I/O thread only:
    private var commit = GroupCommit()
    private var answers: [GroupCommit.AppendID: (placements: Placements, answer: Answer)] = [:]
    private var nextAppend = 0

    init(directory: LogDirectory, configuration: LogEngine.Configuration) {
        self.directory = directory
        self.configuration = configuration
    }

    /// How many `fdatasync`s ran and how many partition batches they covered.
    var statistics: (syncs: Int, batches: Int) {
        condition.withLock { (syncs, syncedBatches) }
    }

    /// How often the thread went round its loop (an idle engine must not spin).
    var iterations: Int { condition.withLock { loops } }

    func enqueue(_ job: Job) {
        condition.lock()
        if stopped {
            condition.unlock()
            fail(job, LogError(.io, "the log engine is shut down"))
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Stops after the queued work; `then` runs once the directory is closed.
    func stop(then: (@Sendable () -> Void)?) {
        condition.lock()
        if finished {
            condition.unlock()
            then?()
            return
        }
        stopped = true
        if let then { onStopped.append(then) }
        condition.signal()
        condition.unlock()
    }

    private func fail(_ job: Job, _ error: LogError) {
        switch job {
        case .append(_, let answer): answer.resolve(.failure(error))
        case .other(_, _, let cancel): cancel(error)
        }
    }

    func run() {
        var nextRetention = configuration.now() + configuration.retentionCheckIntervalMs
        var nextCompaction = configuration.now() + configuration.compactionCheckIntervalMs
        while true {
            condition.lock()
            loops += 1
            while jobs.isEmpty && completions.isEmpty && !(stopped && !commit.hasSyncsInFlight) {
                let now = configuration.now()
                let nextFlush = directory.shortestFlushInterval.map { now.addingReportingOverflow($0).overflow ? Int64.max : now + $0 }
                let deadline = min(nextRetention, nextCompaction, nextFlush ?? .max)
                if deadline <= now { break }
                var wait = Double(min(deadline - now, 3_600_000)) / 1000
                if let hold = commit.nextHoldDeadline {
                    let clock = DispatchTime.now().uptimeNanoseconds
                    if hold <= clock { break }
                    wait = min(wait, Double(hold - clock) / 1e9)
                }
                _ = condition.wait(until: Date(timeIntervalSinceNow: wait))
                if configuration.now() >= deadline { break }
            }
            let batch = jobs
            let done = completions
            jobs = []
            completions = []
            let stopping = stopped && batch.isEmpty && done.isEmpty && commit.isIdle
            let draining = stopped
            condition.unlock()
            if stopping {
                cleaner.stop()
                syncPool.stop()
                try? directory.close()
                let callbacks = condition.withLock { () -> [@Sendable () -> Void] in
                    finished = true
                    defer { onStopped = [] }
                    return onStopped
                }
                for callback in callbacks { callback() }
                return
            }
            for (key, ticket, outcome) in done { complete(key, ticket, outcome) }
            process(batch)
            let now = configuration.now()
            for key in directory.intervalFlushesDue(now: now) { commit.flushRequested(key) }
            startSyncs(holding: !draining)
            // Retention removes sealed segments only; a file a running sync uses is closed by its lease
            // once the sync is over.
            if now >= nextRetention {
                _ = try? directory.enforceRetention(now: now)
                nextRetention = now + configuration.retentionCheckIntervalMs
            }
            if now >= nextCompaction {
                for (key, job) in directory.compactionJobs(now: now) { clean(key, job, answer: nil) }
                nextCompaction = now + configuration.compactionCheckIntervalMs
            }
        }
    }

    /// Hands a cleaning to the cleaner; its output comes back here to be swapped in (then `answer`, if
    /// any, gets the report).
    func clean(
        _ key: LogDirectory.PartitionKey, _ job: CompactionJob, answer: (@Sendable (Result<CompactionReport?, LogError>) -> Void)?
    ) {
        cleaner.submit(job) { [self] result in
            switch result {
            case .success(let output?):
                enqueue(
                    .other(
                        run: { directory in
                            let applied: Result<CompactionReport?, LogError>
                            do throws(LogError) { applied = .success(try directory.applyCompaction(key, output)) } catch {
                                applied = .failure(error)
                            }
                            answer?(applied)
                        }, changesTopics: false,
                        cancel: { error in
                            output.discard()
                            answer?(.failure((error as? LogError) ?? LogError(.io, "\(error)")))
                        }))
            case .success(nil), .failure:
                enqueue(
                    .other(
                        run: { directory in
                            let failed: Int64? = if case .failure = result { self.configuration.now() } else { nil }
                            directory.compactionEnded(key, generation: job.generation, failedAt: failed)
                            answer?(result.map { _ in nil })
                        }, changesTopics: false, cancel: { _ in answer?(result.map { _ in nil }) }))
            }
        }
    }

    /// Carries out what ``GroupCommit`` decided.
    private func perform(_ actions: [GroupCommit.Action]) {
        for action in actions {
            switch action {
            case .answer(let id):
                if let waiting = answers.removeValue(forKey: id) { waiting.answer.resolve(.success(waiting.placements)) }
            case .fail(let id, let error):
                if let waiting = answers.removeValue(forKey: id) { waiting.answer.resolve(.failure(error)) }
            }
        }
    }

    /// Writes every queued append; their partitions get a sync as soon as none is in flight there.
    private func process(_ batch: [Job]) {
        for job in batch {
            switch job {
            case .other(let body, let changesTopics, _):
                body(directory)
                guard changesTopics else { continue }
                // A topic deleted (or deleted and recreated) fails the appends still waiting on it.
                for key in commit.replacedPartitions(generation: { try? self.directory.partitionLog($0.topic, $0.partition).generation }) {
                    perform(
                        commit.partitionFailed(
                            key,
                            LogError(
                                .unknownTopic, "topic '\(key.topic)' was deleted before the append was durable",
                                location: .init(topic: key.topic, partition: key.partition))))
                }
            case .append(let append, let answer):
                let staged: LogDirectory.StagedAppend
                do throws(LogError) {
                    if let expected = append.expectedNextOffset {
                        for batch in append.batches {
                            let next = try directory.partitionLog(append.topic, batch.partition).nextOffset
                            guard next == expected else {
                                throw LogError(
                                    .unexpectedOffset, "the partition's next offset is \(next), not the expected \(expected)",
                                    location: .init(topic: append.topic, partition: batch.partition))
                            }
                        }
                    }
                    staged = try directory.stage(
                        topic: append.topic, batches: append.batches, count: append.count, now: configuration.now())
                } catch {
                    answer.resolve(.failure(error))
                    continue
                }
                for key in staged.backgroundFlushes { commit.flushRequested(key) }
                guard !staged.partitions.isEmpty else {
                    answer.resolve(.success(staged.placements))
                    continue
                }
                var needs: [LogDirectory.PartitionKey: Int64] = [:]
                var generations: [LogDirectory.PartitionKey: UInt64] = [:]
                for placed in staged.placements {
                    let key = LogDirectory.PartitionKey(topic: append.topic, partition: placed.partition)
                    needs[key] = max(needs[key] ?? 0, placed.offset + 1)
                }
                for key in needs.keys {
                    generations[key] = try? directory.partitionLog(key.topic, key.partition).generation
                }
                let id = GroupCommit.AppendID(rawValue: nextAppend)
                nextAppend += 1
                answers[id] = (staged.placements, answer)
                commit.appended(id, needs: needs, generations: generations)
                condition.withLock { syncedBatches += needs.count }
            }
        }
    }

    /// Starts the syncs ``GroupCommit`` asks for, each on a sync thread.
    private func startSyncs(holding: Bool) {
        let clock = DispatchTime.now().uptimeNanoseconds
        for key in commit.syncsToStart(clock: clock, holding: holding) {
            guard let log = try? directory.partitionLog(key.topic, key.partition) else {
                perform(
                    commit.partitionFailed(
                        key,
                        LogError(
                            .unknownTopic, "topic '\(key.topic)' was deleted", location: .init(topic: key.topic, partition: key.partition)))
                )
                continue
            }
            guard let ticket = log.beginSync() else {
                // Read-only (a failed sync), or nothing left to sync: answer from the partition's state.
                if case .readOnly(let reason) = log.state {
                    perform(
                        commit.partitionFailed(
                            key,
                            LogError(.io, "partition is read-only: \(reason)", location: .init(topic: key.topic, partition: key.partition)))
                    )
                } else {
                    perform(commit.nothingToSync(key, durable: log.durableNextOffset))
                }
                continue
            }
            commit.syncStarted(key, clock: clock)
            condition.withLock { syncs += 1 }
            let fs = directory.fileSystem
            syncPool.run { [self] in
                let outcome = ticket.perform(on: fs)
                condition.withLock {
                    completions.append((key, ticket, outcome))
                    condition.signal()
                }
            }
        }
    }

    private func complete(
        _ key: LogDirectory.PartitionKey, _ ticket: PartitionLog.SyncTicket, _ outcome: (error: LogError?, dataDurable: Bool)
    ) {
        guard let log = try? directory.partitionLog(key.topic, key.partition) else {
            perform(
                commit.syncFailed(
                    key,
                    LogError(.unknownTopic, "topic '\(key.topic)' was deleted", location: .init(topic: key.topic, partition: key.partition))
                ))
            return
        }
        guard ticket.log == log.generation else {
            commit.staleSyncCompleted(key)
            return
        }
        do {
            try log.completeSync(ticket, error: outcome.error, dataDurable: outcome.dataDurable)
        } catch {
            // The partition is read-only now. What the sync made durable before the failure (a recovery
            // checkpoint that could not be written after a good sync) is answered; every append not
            // durable there fails, and its bytes are taken back from the files (best effort), so that a
            // restart without a power cut does not bring back records whose append failed (except what the
            // segment's sync made durable before the mark's failed: the mark may name it).
            perform(commit.nothingToSync(key, durable: log.durableNextOffset))
            if log.durableNextOffset < log.nextOffset { try? log.rollBack(to: log.durableNextOffset) }
            var located = error
            located.location.topic = key.topic
            located.location.partition = key.partition
            perform(commit.syncFailed(key, located))
            return
        }
        perform(commit.syncCompleted(key, durable: log.durableNextOffset, clock: DispatchTime.now().uptimeNanoseconds))
    }
}
