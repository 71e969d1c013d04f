import CanonCore
import Foundation

/// What write-time validation needs from the registry, readable from any task without waiting for the
/// registry actor: the writer schema of every served ID, and which IDs each subject holds. The registry
/// publishes a new snapshot after every change, so a newly registered version is accepted at once and a
/// hard-deleted one refused.
public final class SchemaCatalog: Sendable {
    /// One published state.
    ///
    /// The registry keeps one and changes only what an event touched before publishing it; the maps are
    /// sharded so that such a change copies one shard, not the whole map the last snapshot shares.
    public struct Snapshot: Sendable {
        /// Writer schemas by ID (IDs that some version, soft-deleted or not, still uses), boxed: a schema
        /// is many arrays, and a box is copied with one reference count instead of one per array.
        public var schemas = ShardedMap<Int32, WriterSchema>()
        /// Subject -> the IDs of its versions (soft-deleted ones included; hard-deleted ones gone).
        public var members = ShardedMap<String, Set<Int32>>()
        /// Subject -> the ID of its latest live version.
        public var latest = ShardedMap<String, Int32>()

        public init() {}
    }

    // The snapshot is replaced whole under the lock; readers copy it out (copy-on-write, no deep copy).
    private let box = Locked(Snapshot())

    public init() {}

    public var snapshot: Snapshot { box.value }

    func publish(_ snapshot: Snapshot) { box.value = snapshot }
}

/// A writer schema, of any format, shared by reference.
public final class WriterSchema: Sendable {
    public let schema: any ParsedSchema
    /// The schema's payload validator, compiled once when the schema is published.
    public let validator: any PayloadValidator

    public init(_ schema: any ParsedSchema) {
        self.schema = schema
        self.validator = schema.makeValidator()
    }
}

/// A dictionary in 256 shards by key hash. A copy shares the shards; changing a key copies only its
/// shard (and the small array of shards), so a snapshot changed and republished after every event costs
/// the same with a hundred keys or a hundred thousand.
public struct ShardedMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var shards = [[Key: Value]](repeating: [:], count: 256)

    public init() {}

    @inline(__always) private static func shard(_ key: Key) -> Int { key.hashValue & 255 }

    public subscript(key: Key) -> Value? {
        get { shards[Self.shard(key)][key] }
        set { shards[Self.shard(key)][key] = newValue }
    }
}
