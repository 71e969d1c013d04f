import Foundation

/// Threads that run `fdatasync`s (blocking calls, so more of them than cores is right), each call
/// reporting back to the I/O thread.
// @unchecked Sendable: `queue` and `idle` are only touched with `condition` held.
final class SyncPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private var threads = 0
    private var idle = 0
    private var stopped = false
    private let maximum: Int

    init(maximum: Int) {
        self.maximum = maximum
    }

    func run(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append(work)
        if idle == 0 && threads < maximum {
            threads += 1
            let thread = Thread { [self] in loop() }
            thread.name = "canon-log-sync"
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            idle += 1
            while queue.isEmpty && !stopped { condition.wait() }
            idle -= 1
            if queue.isEmpty && stopped {
                threads -= 1
                condition.unlock()
                return
            }
            let work = queue.removeFirst()
            condition.unlock()
            work()
        }
    }
}
