/// One holder per key at a time, for an actor's code that awaits while it holds the key (an actor's
/// reentrancy would otherwise let a second caller in). Owned by one actor and used only on it; the
/// waiters are resumed in arrival order.
final class KeyedLock<Key: Hashable> {
    private var busy: Set<Key> = []
    private var waiting: [Key: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until `key` is free and takes it.
    func acquire(_ key: Key, isolation: isolated (any Actor)? = #isolation) async {
        while busy.contains(key) { await withCheckedContinuation { waiting[key, default: []].append($0) } }
        busy.insert(key)
    }

    /// Frees `key`, waking its next waiter.
    func release(_ key: Key) {
        busy.remove(key)
        if let next = waiting[key]?.first {
            waiting[key]!.removeFirst()
            next.resume()
        }
    }
}
