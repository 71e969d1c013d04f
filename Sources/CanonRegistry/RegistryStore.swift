import CanonCore
import CanonLog

/// Where the registry's events live. Shaped for several writers later (PostgreSQL): an append names
/// the sequence it expects to follow and fails on a mismatch; readers tail with `events(after:)`.
public protocol RegistryStore: Sendable {
    /// Appends `event` after exactly `expectedSequence` events; returns the new sequence (the count of
    /// events stored). Returns only once the event is durable.
    func append(_ event: RegistryEvent, expectedSequence: Int64) async throws(RegistryError) -> Int64
    /// The events after the first `sequence` ones, in order, with the sequence each one ends.
    func events(after sequence: Int64) async throws(RegistryError) -> [(sequence: Int64, event: RegistryEvent)]
}

/// The embedded store: the internal single-partition topic `_schemas` of the log (infinite retention,
/// group commit, never validated, not deletable by users). Sequence n is the record at offset n - 1.
public struct LogRegistryStore: RegistryStore {
    public static let topic = "_schemas"
    private let engine: LogEngine

    /// Uses (creating when missing) the `_schemas` topic of `engine`'s data directory.
    public init(engine: LogEngine) async throws(RegistryError) {
        self.engine = engine
        do {
            try await engine.withDirectory { directory in
                if directory.topics[Self.topic] == nil {
                    try directory.createTopic(
                        Self.topic, partitions: 1,
                        configuration: try TopicConfiguration([
                            "retention.ms": "-1", "retention.bytes": "-1", "canon.flush.policy": "group-commit",
                        ]),
                        isInternal: true)
                }
            }
        } catch {
            throw RegistryError.storeError("cannot open the \(Self.topic) topic: \(error)")
        }
    }

    public func append(_ event: RegistryEvent, expectedSequence: Int64) async throws(RegistryError) -> Int64 {
        let record = LogRecord(key: nil, value: Array(event.json.jsonText.utf8), timestamp: LogDirectory.currentTimeMillis())
        do {
            return try await engine.withDirectory { directory -> Int64 in
                let next = try directory.partitions(of: Self.topic)[0].nextOffset
                guard next == expectedSequence else {
                    throw RegistryError.storeError("the \(Self.topic) topic holds \(next) events, the writer expected \(expectedSequence)")
                }
                let placed = try directory.append(topic: Self.topic, records: [record])
                return placed[0].offset + 1
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError.storeError("\(error)")
        }
    }

    public func events(after sequence: Int64) async throws(RegistryError) -> [(sequence: Int64, event: RegistryEvent)] {
        do {
            return try await engine.withDirectory { directory in
                var out: [(sequence: Int64, event: RegistryEvent)] = []
                var offset = sequence
                while true {
                    let batches = try directory.read(topic: Self.topic, partition: 0, from: offset, maxBytes: 4 << 20)
                    if batches.isEmpty { break }
                    for batch in batches {
                        for (i, record) in batch.records.enumerated() where batch.baseOffset + Int64(i) >= offset {
                            let at = batch.baseOffset + Int64(i)
                            guard let value = record.value, let json = try? JSONReader.parse(bytes: value),
                                let event = RegistryEvent(json: json)
                            else {
                                throw RegistryError.storeError("record \(at) of \(Self.topic) is not a registry event")
                            }
                            out.append((at + 1, event))
                        }
                        offset = batch.lastOffset + 1
                    }
                }
                return out
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError.storeError("\(error)")
        }
    }
}
