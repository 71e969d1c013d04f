import Foundation

/// A value behind a lock, for the few caches and snapshots that tasks share across the package's
/// modules.
// @unchecked Sendable: `stored` is only read or written with `lock` held.
package final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    package init(_ value: Value) { stored = value }

    /// The value (a copy, read under the lock); setting replaces it under the lock.
    package var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Reads or changes the value in place, under the lock.
    package func withValue<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try lock.withLock { try body(&stored) }
    }
}
