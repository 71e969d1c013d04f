import CanonCore

/// An append the log has taken (validated and queued, in the order of the calls that started them) and
/// not yet answered: ``result()`` returns once it is durable under the topic's flush policy, or failed.
/// Lets a caller start the next append before this one is durable (the Kafka door answers a
/// connection's pipelined Produce requests this way) while their order in the log stays the call order.
public final class PendingAppend: Sendable {
    public typealias Placements = [(partition: Int, offset: Int64)]

    private enum State: Sendable {
        case waiting(CheckedContinuation<Result<Placements, LogError>, Never>?)
        case done(Result<Placements, LogError>)
    }

    private let state = Locked(State.waiting(nil))

    init() {}

    /// An append answered at once (nothing to write, or refused before it was queued).
    init(_ result: Result<Placements, LogError>) {
        state.value = .done(result)
    }

    /// The outcome (once: the engine calls this when the append is durable or failed).
    func resolve(_ result: Result<Placements, LogError>) {
        let waiter = state.withValue { state -> CheckedContinuation<Result<Placements, LogError>, Never>? in
            guard case .waiting(let waiter) = state else { return nil }
            state = .done(result)
            return waiter
        }
        waiter?.resume(returning: result)
    }

    /// Each record's partition and offset, in input order, once durable; the append's error otherwise.
    /// One caller awaits it.
    public func result() async throws(LogError) -> Placements {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Placements, LogError>, Never>) in
            let done = state.withValue { state -> Result<Placements, LogError>? in
                switch state {
                case .done(let result): return result
                case .waiting(let existing):
                    precondition(existing == nil, "one caller awaits a pending append")
                    state = .waiting(continuation)
                    return nil
                }
            }
            if let done { continuation.resume(returning: done) }
        }
        return try result.get()
    }
}
