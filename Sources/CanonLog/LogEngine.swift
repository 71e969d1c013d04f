import Foundation

/// The concurrent front of a data directory: any number of tasks append and read at once; every file
/// call runs on one dedicated I/O thread (never on the cooperative pool), which drains the queued
/// appends, writes all their batches, then makes them durable with one `fdatasync` per partition
/// (group commit) and only then answers each appender.
///
/// A flush that fails fails every append waiting on that partition; the partition stays read-only until
/// the directory is opened again.
public final class LogEngine: Sendable {
    private let worker: Worker

    /// Opens (and recovers) the data directory and starts the I/O thread.
    public init(path: String, fileSystem: any LogFileSystem) throws(LogError) {
        worker = Worker(directory: try LogDirectory(path: path, fileSystem: fileSystem))
        let thread = Thread { [worker] in worker.run() }
        thread.name = "canon-log-io"
        thread.start()
    }

    /// Appends records (see ``LogDirectory/append(topic:records:)``); returns once they are durable under
    /// the topic's flush policy, sharing each `fdatasync` with the other appends queued meanwhile.
    public func append(topic: String, records: [LogRecord]) async throws -> [(partition: Int, offset: Int64)] {
        try await withCheckedThrowingContinuation { continuation in
            worker.enqueue(.append(topic: topic, records: records, continuation))
        }
    }

    /// Runs `body` with the directory on the I/O thread (topic management, reads, retention).
    public func withDirectory<R: Sendable>(_ body: @escaping @Sendable (LogDirectory) throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            worker.enqueue(.other(run: { directory in continuation.resume(with: Result { try body(directory) }) },
                                  cancel: { continuation.resume(throwing: $0) }))
        }
    }

    /// Stops the I/O thread after the queued work; later calls fail.
    public func shutdown() {
        worker.stop()
    }

    deinit {
        worker.stop()
    }

    /// How many `commit`s the I/O thread made and how many appends they covered (for tests and metrics).
    public var commitStatistics: (commits: Int, appends: Int) { worker.statistics }
}

// @unchecked Sendable: `jobs`, `stopped` and the statistics are only touched with `condition` held; the
// LogDirectory is only used on the I/O thread (run()).
private final class Worker: @unchecked Sendable {
    enum Job {
        case append(topic: String, records: [LogRecord], CheckedContinuation<[(partition: Int, offset: Int64)], any Error>)
        case other(run: (LogDirectory) -> Void, cancel: (any Error) -> Void)
    }

    private let directory: LogDirectory
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopped = false
    private var commits = 0
    private var committedAppends = 0

    init(directory: LogDirectory) {
        self.directory = directory
    }

    var statistics: (commits: Int, appends: Int) {
        condition.withLock { (commits, committedAppends) }
    }

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

    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func fail(_ job: Job, _ error: any Error) {
        switch job {
        case .append(_, _, let c): c.resume(throwing: error)
        case .other(_, let cancel): cancel(error)
        }
    }

    func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs = []
            condition.unlock()
            process(batch)
        }
    }

    /// Stages every queued append, commits the touched partitions once, then answers.
    private func process(_ batch: [Job]) {
        var staged: [(LogDirectory.StagedAppend, CheckedContinuation<[(partition: Int, offset: Int64)], any Error>)] = []
        var partitions = Set<LogDirectory.PartitionKey>()
        for job in batch {
            switch job {
            case .other(let body, _):
                body(directory)
            case .append(let topic, let records, let continuation):
                do {
                    let s = try directory.stage(topic: topic, records: records)
                    staged.append((s, continuation))
                    partitions.formUnion(s.partitions)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        guard !staged.isEmpty else { return }
        let failures = directory.commit(partitions)
        condition.withLock {
            commits += 1
            committedAppends += staged.count
        }
        for (s, continuation) in staged {
            if let failed = s.partitions.first(where: { failures[$0] != nil }) {
                continuation.resume(throwing: failures[failed]!)
            } else {
                continuation.resume(returning: s.placements)
            }
        }
    }
}
