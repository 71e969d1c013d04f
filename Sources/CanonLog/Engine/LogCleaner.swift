import Foundation

/// The engine's cleaner: one thread that runs compaction jobs (``Compactor``) one at a time, off the
/// I/O thread, so appends and reads go on while a partition is cleaned. Each finished job is handed back
/// to the I/O thread, which swaps the cleaned segments in.
// @unchecked Sendable: `queue`, `stopped` and `running` are only touched with `condition` held.
final class LogCleaner: @unchecked Sendable {
    typealias Completion = @Sendable (Result<CompactionOutput?, LogError>) -> Void

    private let condition = NSCondition()
    private var queue: [(job: CompactionJob, done: Completion)] = []
    private var stopped = false
    private var running: CompactionJob?
    private var thread: Thread?

    /// Queues a job; `done` runs on the cleaner's thread with the output (nil when cancelled or the
    /// cleaner stopped first).
    func submit(_ job: CompactionJob, done: @escaping Completion) {
        condition.lock()
        if stopped {
            condition.unlock()
            job.token.finish()
            done(.success(nil))
            return
        }
        queue.append((job, done))
        if thread == nil {
            let thread = Thread { [self] in run() }
            thread.name = "canon-log-cleaner"
            self.thread = thread
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    /// Stops after cancelling the running job; queued jobs end without output. Returns once the running
    /// job stopped touching its directory.
    func stop() {
        condition.lock()
        stopped = true
        let pending = queue
        queue = []
        let current = running
        condition.signal()
        condition.unlock()
        for (job, done) in pending {
            job.token.finish()
            done(.success(nil))
        }
        current?.token.cancelAndWait()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            let (job, done) = queue.removeFirst()
            running = job
            condition.unlock()
            var result: Result<CompactionOutput?, LogError> = .success(nil)
            if job.token.begin() {
                do throws(LogError) { result = .success(try Compactor.run(job)) } catch { result = .failure(error) }
            }
            condition.withLock { running = nil }
            job.token.finish()
            done(result)
        }
    }
}
